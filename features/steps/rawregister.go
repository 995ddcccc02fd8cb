package steps

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
)

// rawRegistration describes a REGISTER sent from a fixture.
type rawRegistration struct {
	Sub     Subscriber
	Domain  string
	SentBy  string // Via sent-by; the socket's address unless behind NAT
	Contact string // Contact header value, e.g. <sip:1002@192.168.1.20:5060> or *
	Expires int
}

// register sends register.sip and answers a 401 challenge once with digest
// credentials (RFC 3261 §22.2, RFC 8760), as a phone would. It returns the
// final response to the last REGISTER.
func (u *rawUA) register(ctx context.Context, r rawRegistration) (*sip.Response, error) {
	d := fixtureData{
		Transport: strings.ToUpper(u.transport),
		SentBy:    r.SentBy,
		Branch:    newBranch(),
		Domain:    r.Domain,
		User:      r.Sub.Number,
		FromTag:   randomHex(8),
		CallID:    randomHex(12),
		CSeq:      1,
		Contact:   r.Contact,
		Expires:   r.Expires,
	}
	if d.SentBy == "" {
		d.SentBy = u.local.String()
	}
	wire, req, err := render("register.sip", d)
	if err != nil {
		return nil, err
	}
	res, err := u.transact(ctx, wire, req)
	if err != nil {
		return nil, fmt.Errorf("register %s: %w", r.Sub.Number, err)
	}
	if res.Final.StatusCode != 401 {
		return res.Final, nil
	}
	auth, err := answerChallenge(res.Final, "WWW-Authenticate", "REGISTER", "sip:"+r.Domain, r.Sub)
	if err != nil {
		return nil, fmt.Errorf("register %s: %w", r.Sub.Number, err)
	}
	d.Authorization, d.CSeq, d.Branch = auth, d.CSeq+1, newBranch()
	if wire, req, err = render("register.sip", d); err != nil {
		return nil, err
	}
	if res, err = u.transact(ctx, wire, req); err != nil {
		return nil, fmt.Errorf("register %s: %w", r.Sub.Number, err)
	}
	return res.Final, nil
}

// answerChallenge computes credentials for the first challenge in header
// that icholy/digest supports.
func answerChallenge(res *sip.Response, header, method, uri string, sub Subscriber) (string, error) {
	var errs []string
	for _, h := range res.GetHeaders(header) {
		chal, err := digest.ParseChallenge(h.Value())
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		if !digest.CanDigest(chal) {
			continue
		}
		cred, err := digest.Digest(chal, digest.Options{Method: method, URI: uri, Username: sub.Number, Password: sub.Password})
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		return cred.String(), nil
	}
	return "", fmt.Errorf("answer challenge: %w: no usable %s (%s)", ErrExpectation, header, strings.Join(errs, "; "))
}

// newBranch returns an RFC 3261 §8.1.1.7 branch.
func newBranch() string { return sip.RFC3261BranchMagicCookie + randomHex(10) }

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
