// Package digestauth is the server side of SIP digest authentication
// (RFC 3261 §22, RFC 2617, RFC 8760 for SHA-256). Header formats and hashes
// come from github.com/icholy/digest, the library sipgo's client uses.
//
// Nonces are stateless (see nonce.go): any instance holding the secret can
// verify them, and nothing is stored per challenge.
package digestauth

import (
	"crypto/rand"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/clock"
)

// Algorithm names accepted in Realm.Algorithms (RFC 8760 §2.2 and §3).
const (
	MD5       = "MD5"
	SHA256    = "SHA-256"
	SHA512256 = "SHA-512-256"
)

// Realm is a protection realm and the algorithms offered in it, most
// preferred first: Challenge sends one header per algorithm in this order
// (RFC 8760 §2.4). Empty Algorithms means {"MD5"}.
type Realm struct {
	Name       string
	Algorithms []string
}

// Credentials looks up a user's password in a realm.
type Credentials interface {
	Password(realm, user string) (string, bool)
}

// HostURIChecker is optionally implemented by Credentials: users for which
// HostOnlyURI is true may send a digest uri that matches the Request-URI on
// scheme, host and port only (SIPp sends uri=sip:host:port for a request to
// sip:user@host:port). Everyone else's must match on user too.
type HostURIChecker interface {
	HostOnlyURI(realm, user string) bool
}

// Auth issues challenges and verifies credentials. It is safe for
// concurrent use.
type Auth struct {
	realms []Realm // algorithms normalised to upper case
	creds  Credentials
	clock  clock.Clock
	ttl    time.Duration
	secret []byte
	macs   sync.Pool // of hash.Hash: HMAC-SHA256 keyed with secret (nonce.go)

	refused func(*sip.Request, error) // WithRefused; may be nil
}

// Option configures an Auth.
type Option func(*Auth)

// WithClock sets the time source for nonce issue and age (default: wall clock).
func WithClock(c clock.Clock) Option { return func(a *Auth) { a.clock = c } }

// WithNonceTTL sets how long a nonce is fresh (default 5 minutes). Older
// nonces with otherwise correct credentials get ErrStaleNonce.
func WithNonceTTL(d time.Duration) Option {
	return func(a *Auth) {
		if d > 0 {
			a.ttl = d
		}
	}
}

// WithSecret sets the HMAC key for nonces (default: 32 random bytes, so
// nonces do not survive a restart; clients then get a fresh challenge).
// Several instances sharing a secret accept each other's nonces.
func WithSecret(secret []byte) Option {
	return func(a *Auth) {
		if len(secret) > 0 {
			a.secret = append([]byte(nil), secret...)
		}
	}
}

// WithRefused sets a hook called by Verify with each request whose
// credentials it refused as a guess would be: a wrong password or an
// unknown user (not a missing, stale or malformed credential). The PBX
// counts them per source (sip.source_limits.auth_failures). It runs on the
// request's goroutine and must not block.
func WithRefused(f func(req *sip.Request, err error)) Option {
	return func(a *Auth) { a.refused = f }
}

// New returns an Auth for realms (at least one; names unique) that checks
// passwords against creds.
func New(realms []Realm, creds Credentials, opts ...Option) (*Auth, error) {
	if len(realms) == 0 || creds == nil {
		return nil, fmt.Errorf("new digest auth: %w: need a realm and credentials", ErrConfig)
	}
	a := &Auth{creds: creds, clock: clock.New(), ttl: 5 * time.Minute}
	seen := map[string]bool{}
	for _, r := range realms {
		if seen[r.Name] {
			return nil, fmt.Errorf("new digest auth: realm %q twice: %w", r.Name, ErrConfig)
		}
		seen[r.Name] = true
		nr := Realm{Name: r.Name}
		algs := r.Algorithms
		if len(algs) == 0 {
			algs = []string{MD5}
		}
		for _, alg := range algs {
			up := strings.ToUpper(alg)
			switch up {
			case MD5, SHA256, SHA512256:
			default:
				return nil, fmt.Errorf("new digest auth: realm %q algorithm %q: %w", r.Name, alg, ErrConfig)
			}
			nr.Algorithms = append(nr.Algorithms, up)
		}
		a.realms = append(a.realms, nr)
	}
	for _, o := range opts {
		o(a)
	}
	if a.secret == nil {
		a.secret = make([]byte, 32)
		_, _ = rand.Read(a.secret) // never fails (crypto/rand)
	}
	return a, nil
}

// Realms returns the configured realm names in order; the first is the
// default used by Challenge for realm "".
func (a *Auth) Realms() []string {
	names := make([]string, len(a.realms))
	for i, r := range a.realms {
		names[i] = r.Name
	}
	return names
}

func (a *Auth) realm(name string) (Realm, bool) {
	for _, r := range a.realms {
		if r.Name == name {
			return r, true
		}
	}
	return Realm{}, false
}
