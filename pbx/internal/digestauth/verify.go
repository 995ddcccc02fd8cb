package digestauth

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
)

// Verify checks the Digest credentials of req: Authorization, or with proxy
// Proxy-Authorization (RFC 3261 §22.2, §22.3). Headers of other schemes are
// skipped (RFC 4475 §3.3.7); among several Digest headers the first whose
// realm is configured is used. The checks, in order: realm configured,
// username known, algorithm offered in that realm (no downgrade), uri equal
// to the Request-URI (§22.4), nonce issued by us for that realm, response
// correct (MD5, SHA-256 or SHA-512-256; qop=auth or no qop as in RFC 2069),
// nonce fresh. Staleness is reported only for otherwise correct credentials,
// as RFC 2617 §3.2.1 defines stale. A refused credential (ErrWrongPassword,
// ErrUnknownUser) is also reported to WithRefused's hook.
//
// It returns the authenticated username and realm. The username may differ
// from the From or To user; the caller decides what it may do. When a Digest
// header with a known realm was found, user and realm are returned even with
// an error (for logging); they are authenticated only when err is nil.
func (a *Auth) Verify(req *sip.Request, proxy bool) (user string, realm string, err error) {
	name := "Authorization"
	if proxy {
		name = "Proxy-Authorization"
	}
	var first error
	for _, h := range req.GetHeaders(name) {
		v := h.Value()
		if !digest.IsDigest(v) {
			continue
		}
		cred, err := digest.ParseCredentials(v)
		if err != nil {
			first = cmp(first, fmt.Errorf("verify %s: %w: %v", name, ErrMalformed, err))
			continue
		}
		r, ok := a.realm(cred.Realm)
		if !ok {
			first = cmp(first, fmt.Errorf("verify realm %q: %w", cred.Realm, ErrUnknownRealm))
			continue
		}
		err = a.check(req, r, cred)
		if a.refused != nil && (errors.Is(err, ErrWrongPassword) || errors.Is(err, ErrUnknownUser)) {
			a.refused(req, err)
		}
		return cred.Username, r.Name, err
	}
	if first != nil {
		return "", "", first
	}
	return "", "", ErrNoCredentials
}

func cmp(first, err error) error {
	if first != nil {
		return first
	}
	return err
}

func (a *Auth) check(req *sip.Request, r Realm, cred *digest.Credentials) error {
	alg := strings.ToUpper(cred.Algorithm)
	if alg == "" {
		alg = MD5 // RFC 2617 §3.2.2: absent means MD5
	}
	if err := wellFormed(cred); err != nil {
		return err
	}
	password, ok := a.creds.Password(r.Name, cred.Username)
	if !ok {
		return fmt.Errorf("verify user %q: %w", cred.Username, ErrUnknownUser)
	}
	if !slices.Contains(r.Algorithms, alg) {
		return fmt.Errorf("verify algorithm %q: %w", cred.Algorithm, ErrAlgorithm)
	}
	hostOnly := false
	if hc, ok := a.creds.(HostURIChecker); ok {
		hostOnly = hc.HostOnlyURI(r.Name, cred.Username)
	}
	if !sameURI(cred.URI, &req.Recipient, hostOnly) {
		return fmt.Errorf("verify uri %q: %w", cred.URI, ErrURIMismatch)
	}
	age, err := a.checkNonce(cred.Nonce, r.Name)
	if err != nil {
		return fmt.Errorf("verify nonce: %w", err)
	}
	ch := &digest.Challenge{Realm: cred.Realm, Nonce: cred.Nonce, Algorithm: alg, Opaque: cred.Opaque}
	if cred.QOP != "" {
		ch.QOP = []string{cred.QOP}
	}
	want, err := digest.Digest(ch, digest.Options{
		Method:   string(req.Method),
		URI:      cred.URI,
		Username: cred.Username,
		Password: password,
		Cnonce:   cred.Cnonce,
		Count:    cred.Nc,
	})
	if err != nil {
		return fmt.Errorf("verify response: %w: %v", ErrMalformed, err)
	}
	if subtle.ConstantTimeCompare([]byte(strings.ToLower(cred.Response)), []byte(want.Response)) != 1 {
		return fmt.Errorf("verify user %q: %w", cred.Username, ErrWrongPassword)
	}
	if age > a.ttl {
		return fmt.Errorf("verify nonce age %s: %w", age, ErrStaleNonce)
	}
	return nil
}

// wellFormed rejects what the response computation cannot use
// deterministically: with qop, a cnonce and a non-zero nc are required
// (RFC 2617 §3.2.2); only qop=auth is offered; userhash is not offered.
func wellFormed(cred *digest.Credentials) error {
	switch {
	case cred.Username == "" || cred.Nonce == "" || cred.Response == "" || cred.URI == "":
		return fmt.Errorf("verify credentials: %w: missing field", ErrMalformed)
	case cred.Userhash:
		return fmt.Errorf("verify credentials: %w: userhash", ErrMalformed)
	case cred.QOP == "":
		return nil
	case cred.QOP != "auth":
		return fmt.Errorf("verify qop %q: %w", cred.QOP, ErrMalformed)
	case cred.Cnonce == "" || cred.Nc <= 0:
		return fmt.Errorf("verify credentials: %w: qop without cnonce or nc", ErrMalformed)
	}
	return nil
}

// sameURI compares the digest uri with the Request-URI on scheme, user,
// host and port (RFC 3261 §19.1.4, without parameters: clients differ in
// whether they copy them, and the hash covers the string they sent); with
// hostOnly, on scheme, host and port.
func sameURI(s string, ruri *sip.Uri, hostOnly bool) bool {
	var u sip.Uri
	if err := sip.ParseUri(s, &u); err != nil {
		return false
	}
	return strings.EqualFold(scheme(u.Scheme), scheme(ruri.Scheme)) &&
		(hostOnly || u.User == ruri.User) &&
		strings.EqualFold(u.Host, ruri.Host) &&
		u.Port == ruri.Port
}

func scheme(s string) string {
	if s == "" {
		return "sip"
	}
	return s
}
