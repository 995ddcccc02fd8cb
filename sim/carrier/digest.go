package carrier

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"strings"
	"sync"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
)

// maxNonces bounds the nonces remembered; past it the oldest generation is
// forgotten and its holders are challenged again (stale=true).
const maxNonces = 4096

// verdict is the outcome of checking a request's digest credentials.
type verdict int

const (
	noCredentials verdict = iota // challenge
	staleNonce                   // challenge again, stale=true
	denied                       // 403: unknown user or wrong response
	granted
)

// digestAuth is a server-side HTTP digest checker (RFC 3261 §22, RFC 2617;
// MD5 with qop=auth) over the carrier's accounts, computed with
// icholy/digest.
type digestAuth struct {
	realm    string
	accounts map[string]string // username -> password

	mu         sync.Mutex
	nonces     map[string]bool
	previous   map[string]bool
	challenges int
}

func newDigestAuth(realm string, accounts map[string]string) *digestAuth {
	return &digestAuth{realm: realm, accounts: accounts, nonces: map[string]bool{}, previous: map[string]bool{}}
}

// challenge builds a 401 (WWW-Authenticate) or with proxy a 407
// (Proxy-Authenticate) with a fresh nonce.
func (d *digestAuth) challenge(req *sip.Request, proxy, stale bool) *sip.Response {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	nonce := hex.EncodeToString(b)
	d.mu.Lock()
	if len(d.nonces) >= maxNonces {
		d.previous, d.nonces = d.nonces, map[string]bool{}
	}
	d.nonces[nonce] = true
	d.challenges++
	d.mu.Unlock()
	code, reason, name := sip.StatusUnauthorized, "Unauthorized", "WWW-Authenticate"
	if proxy {
		code, reason, name = sip.StatusProxyAuthRequired, "Proxy Authentication Required", "Proxy-Authenticate"
	}
	ch := digest.Challenge{Realm: d.realm, Nonce: nonce, Algorithm: "MD5", QOP: []string{"auth"}, Stale: stale}
	res := sip.NewResponseFromRequest(req, code, reason, nil)
	res.AppendHeader(sip.NewHeader(name, ch.String()))
	return res
}

// Challenges is how many challenges were sent.
func (d *digestAuth) count() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.challenges
}

// verify checks the Authorization (or with proxy the Proxy-Authorization)
// header of req. It returns the username with granted.
func (d *digestAuth) verify(req *sip.Request, proxy bool) (string, verdict) {
	name := "Authorization"
	if proxy {
		name = "Proxy-Authorization"
	}
	for _, h := range req.GetHeaders(name) {
		if !digest.IsDigest(h.Value()) {
			continue
		}
		cred, err := digest.ParseCredentials(h.Value())
		if err != nil {
			return "", denied
		}
		if cred.Realm != d.realm {
			continue
		}
		return cred.Username, d.check(req, cred)
	}
	return "", noCredentials
}

func (d *digestAuth) check(req *sip.Request, cred *digest.Credentials) verdict {
	d.mu.Lock()
	known := d.nonces[cred.Nonce] || d.previous[cred.Nonce]
	d.mu.Unlock()
	if !known {
		return staleNonce
	}
	password, ok := d.accounts[cred.Username]
	if !ok || cred.Response == "" || (cred.Algorithm != "" && !strings.EqualFold(cred.Algorithm, "MD5")) {
		return denied
	}
	ch := &digest.Challenge{Realm: cred.Realm, Nonce: cred.Nonce, Algorithm: "MD5", Opaque: cred.Opaque}
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
		return denied
	}
	if subtle.ConstantTimeCompare([]byte(strings.ToLower(cred.Response)), []byte(want.Response)) != 1 {
		return denied
	}
	return granted
}
