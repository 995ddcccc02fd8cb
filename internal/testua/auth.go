package testua

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
)

// Credentials answers the first digest challenge of a 401 (WWW-Authenticate)
// or 407 (Proxy-Authenticate) that icholy/digest can compute (MD5, SHA-256;
// RFC 3261 §22.2, RFC 8760) for a request of method to uri. It returns the
// header to add (Authorization or Proxy-Authorization) and its value.
func Credentials(challenge *sip.Response, method sip.RequestMethod, uri, user, password string) (header, value string, err error) {
	in, out := "WWW-Authenticate", "Authorization"
	if challenge.StatusCode == sip.StatusProxyAuthRequired {
		in, out = "Proxy-Authenticate", "Proxy-Authorization"
	}
	var errs []string
	for _, h := range challenge.GetHeaders(in) {
		chal, err := digest.ParseChallenge(h.Value())
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		if !digest.CanDigest(chal) {
			errs = append(errs, "cannot compute "+chal.Algorithm)
			continue
		}
		cred, err := digest.Digest(chal, digest.Options{Method: string(method), URI: uri, Username: user, Password: password})
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		return out, cred.String(), nil
	}
	return "", "", fmt.Errorf("answer %d challenge: %w in %s (%s)", challenge.StatusCode, ErrNoChallenge, in, strings.Join(errs, "; "))
}

// Authorize returns a copy of req answering challenge (see Credentials)
// for its Request-URI, with the next CSeq and a fresh Via branch, ready to
// be sent as a new transaction (RFC 3261 §22.2).
func Authorize(req *sip.Request, challenge *sip.Response, user, password string) (*sip.Request, error) {
	name, value, err := Credentials(challenge, req.Method, req.Recipient.String(), user, password)
	if err != nil {
		return nil, fmt.Errorf("authorize %s: %w", req.Method, err)
	}
	out := req.Clone()
	out.RemoveHeader(name)
	out.AppendHeader(sip.NewHeader(name, value))
	if cs := out.CSeq(); cs != nil {
		cs.SeqNo++
	}
	if via := out.Via(); via != nil {
		via.Params.Add("branch", NewBranch())
	}
	return out, nil
}

// Registration describes a REGISTER (RFC 3261 §10.2).
type Registration struct {
	// User is the AOR's user and the digest username (default Config.User).
	User string
	// Password answers one 401/407 challenge; "" answers none.
	Password string
	// Domain is the registrar's domain: Request-URI sip:Domain and the AOR
	// host (default Config.Domain).
	Domain string
	// Contact is the Contact header value: "" for the UA's own
	// <ContactURI>, "*" to remove every binding, or any value.
	Contact string
	// Expires is the Expires header value (0 removes the binding); negative
	// leaves the header out.
	Expires int
}

// NewRegister builds the REGISTER of r (CSeq 1, fresh Call-ID, From tag
// and branch) for the test to change or send.
func (u *UA) NewRegister(r Registration) *sip.Request {
	if r.User == "" {
		r.User = u.cfg.User
	}
	if r.Domain == "" {
		r.Domain = u.cfg.Domain
	}
	aor := "sip:" + r.User + "@" + r.Domain
	req := u.NewRequest(sip.REGISTER, aor)
	var ruri sip.Uri
	if err := sip.ParseUri("sip:"+r.Domain, &ruri); err == nil {
		req.Recipient = ruri
	}
	req.From().Address = u.URI(aor)
	req.RemoveHeader("Contact")
	switch r.Contact {
	case "":
		req.AppendHeader(u.contactFor(r.User))
	default:
		req.AppendHeader(sip.NewHeader("Contact", r.Contact))
	}
	if r.Expires >= 0 {
		req.AppendHeader(sip.NewHeader("Expires", strconv.Itoa(r.Expires)))
	}
	req.SetBody(nil)
	return req
}

// Register sends the REGISTER of r and answers one digest challenge with
// r.Password; it returns the last final response.
func (u *UA) Register(ctx context.Context, r Registration) (*sip.Response, error) {
	if r.User == "" {
		r.User = u.cfg.User
	}
	req := u.NewRegister(r)
	res, err := u.Do(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("register %s: %w", r.User, err)
	}
	if (res.StatusCode != 401 && res.StatusCode != 407) || r.Password == "" {
		return res, nil
	}
	if req, err = Authorize(req, res, r.User, r.Password); err != nil {
		return res, fmt.Errorf("register %s: %w", r.User, err)
	}
	if res, err = u.Do(ctx, req); err != nil {
		return nil, fmt.Errorf("register %s: %w", r.User, err)
	}
	return res, nil
}
