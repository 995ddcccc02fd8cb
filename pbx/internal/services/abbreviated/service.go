// Package abbreviated is abbreviated dialling (the manual's Call Services
// ch. 6): short codes that stand for numbers, system-wide ones from the
// configuration and personal ones each subscriber sets from the phone.
// The codes (project default, the manual digest's table):
//
//	*51*nn*number#   set personal code nn to number (confirmation tone)
//	#51*nn#          clear personal code nn (confirmation tone)
//	**nn             dial code nn: the number it stands for goes through
//	                 number analysis, substitution and call authority
//	                 like a number dialled in full
//
// A personal code beats a system-wide code of the same digits (project
// default: the subscriber's own choice wins). The trailing "#" may arrive
// raw, escaped (%23) or not at all. Personal codes live in the store
// (Store; sqlstore.Store keeps them in the PBX's SQLite database across
// restarts).
//
// It acts at the Dialled point (pbx/internal/services) for subscribers; the
// service switch is "abbreviated". Its codes, from a trusted peer or from
// a subscriber the service is off for, are refused with 403.
package abbreviated

import (
	"context"
	"fmt"

	"pbxlab/pbx/internal/services"
	"pbxlab/pbx/internal/sipx"
)

// Name is the service's switch name.
const Name = "abbreviated"

// Service is abbreviated dialling.
type Service struct {
	digits int
	system map[string]string
	st     Store
}

// New builds the service of a checked configuration with its store.
func New(cfg Config, st Store) (*Service, error) {
	if ps := cfg.Check(); len(ps) > 0 {
		return nil, fmt.Errorf("abbreviated dialling: %w", ps[0])
	}
	return &Service{digits: cfg.digits(), system: cfg.Codes, st: st}, nil
}

// Name implements services.Service.
func (s *Service) Name() string { return Name }

// Claims implements services.Codes: the numbers the service answers.
func (s *Service) Claims(dialled string) bool { return Parse(dialled, s.digits).Op != None }

// Lookup returns the number code stands for, for subscriber: the
// personal code, else the system-wide one.
func (s *Service) Lookup(ctx context.Context, subscriber, code string) (string, bool, error) {
	n, ok, err := s.st.Get(ctx, subscriber, code)
	if err != nil || ok {
		return n, ok, err
	}
	n, ok = s.system[code]
	return n, ok, nil
}

// Dialled implements services.Dialled.
func (s *Service) Dialled(ctx context.Context, c *services.Call) (services.Verdict, error) {
	code := Parse(c.Dialled, s.digits)
	switch {
	case code.Op == None:
		return services.Verdict{}, nil
	case !c.Subscriber:
		return refuse(403, "Forbidden", fmt.Errorf("abbreviated dialling from %q: %w", c.Caller, sipx.ErrForbidden)), nil
	}
	switch code.Op {
	case Set:
		return services.Verdict{Kind: services.Feature, Apply: func(ctx context.Context) error {
			return s.st.Put(ctx, c.Caller, code.Code, code.Number)
		}}, nil
	case Clear:
		return services.Verdict{Kind: services.Feature, Apply: func(ctx context.Context) error {
			return s.st.Delete(ctx, c.Caller, code.Code)
		}}, nil
	case Use:
		n, ok, err := s.Lookup(ctx, c.Caller, code.Code)
		if err != nil {
			return services.Verdict{}, err
		}
		if !ok {
			return refuse(404, "Not Found", fmt.Errorf("%s dialling **%s: %w", c.Caller, code.Code, ErrNoCode)), nil
		}
		return services.Verdict{Kind: services.Rewrite, Number: n}, nil
	default:
		return refuse(484, "Address Incomplete", fmt.Errorf("%q: %w", c.Dialled, ErrMalformed)), nil
	}
}

// refuse is services.Refusal.
func refuse(code int, reason string, err error) services.Verdict {
	return services.Refusal(code, reason, err)
}
