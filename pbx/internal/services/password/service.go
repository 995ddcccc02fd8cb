// Package password is the password call service (manual, Call Services: a
// 4-digit password after an access code). A subscriber has a call
// password (services.password.passwords, set by the administrator); from
// any phone of the PBX, *47*ABCD*<num># calls num with the outgoing
// authority of the password's owner, as Asterisk's authorization codes
// and FreeSWITCH's PIN dialling do: the rest of the call's services see
// the owner as the caller, the phone's own number is still presented.
// Call intervention's password variant (*89*ABCD<num>#) asks the same
// passwords (Owner).
package password

import (
	"context"
	"crypto/subtle"
	"fmt"
	"maps"
	"slices"
	"strings"

	"pbxlab/pbx/internal/services"
	"pbxlab/pbx/internal/sipx"
)

// Name is the service's switch name.
const Name = "password"

// Service is the password call service. It is immutable and safe for
// concurrent use.
type Service struct {
	owners []string          // sorted
	pw     map[string]string // owner -> plain pin or hash
}

// New builds the service from cfg.
func New(cfg Config) (*Service, error) {
	if ps := cfg.Check(); len(ps) > 0 {
		return nil, fmt.Errorf("password: %w: %w", ErrConfig, ps[0])
	}
	return &Service{owners: sortedKeys(cfg.Passwords), pw: maps.Clone(cfg.Passwords)}, nil
}

func sortedKeys(m map[string]string) []string {
	ks := slices.Collect(maps.Keys(m))
	slices.Sort(ks)
	return ks
}

// Name implements services.Service.
func (s *Service) Name() string { return Name }

// Claims implements services.Codes: with the service switched off a
// *47 code is refused (403).
func (s *Service) Claims(dialled string) bool { return Parse(dialled).Op != None }

// Owner is the subscriber whose password pin is: ok false when nobody's
// is, or when two hashed passwords match (an ambiguity Check cannot see).
// Every password is compared, in constant time.
func (s *Service) Owner(pin string) (string, bool) {
	if s == nil || !ValidPIN(pin) {
		return "", false
	}
	found := ""
	n := 0
	for _, o := range s.owners {
		want, got := s.pw[o], pin
		if strings.HasPrefix(want, hashPrefix) {
			got = Hash(o, pin)
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(got)) == 1 {
			found = o
			n++
		}
	}
	return found, n == 1
}

// Dialled implements services.Dialled: a password call is the dialled
// number, placed as the password's owner (Verdict.As); a wrong password is
// 403 (the PBX plays the barred prompt), a malformed code 484, a code from
// a caller that is no subscriber (a trunk) 403.
func (s *Service) Dialled(_ context.Context, c *services.Call) (services.Verdict, error) {
	code := Parse(c.Dialled)
	switch {
	case code.Op == None:
		return services.Verdict{}, nil
	case !c.Subscriber:
		return services.Refusal(403, "Forbidden", fmt.Errorf("password call from %q: %w", c.Caller, sipx.ErrForbidden)), nil
	case code.Op == Malformed:
		return services.Refusal(484, "Address Incomplete", fmt.Errorf("%q: %w", c.Dialled, ErrMalformed)), nil
	}
	owner, ok := s.Owner(code.PIN)
	if !ok {
		return services.Refusal(403, "Forbidden", fmt.Errorf("password call from %s: %w", c.Caller, ErrWrongPassword)), nil
	}
	return services.Verdict{Kind: services.Rewrite, Number: code.Number, As: owner}, nil
}
