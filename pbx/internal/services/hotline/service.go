// Package hotline is the hotline service (the manual's Call Services,
// hotline; codes from the manual digest's project-default table): a
// subscriber whose handset goes off hook is connected to a fixed number,
// at once (immediate hotline) or when they dial nothing for a few seconds
// (delayed hotline; a digit dialled in time makes it an ordinary call).
//
// A SIP phone has no off-hook signal: its hotline / auto-dial setting
// dials a number as soon as the handset is lifted. The PBX takes that
// number (offhook_number, default "hotline") as "went off hook":
//
//	*52*number#          immediate hotline to number (confirmation tone)
//	*52*number*seconds#  delayed hotline to number after seconds (1-60)
//	#52#                 hotline off
//
// The setting from the phone beats the configuration's line
// (services.hotline.subscribers); Store (sqlstore) keeps it across
// restarts. The service acts at the Dialled point, switched by the
// caller's number: its codes, and the off-hook number of an immediate
// hotline, rewritten to the hotline number (analysed as if dialled: the
// caller's authority applies; an emergency hotline number is always
// routed). The delayed hotline's dial tone and digits are the PBX's
// (pbx/hotline.go): it asks Line and OffHook before the chain runs.
package hotline

import (
	"context"
	"fmt"
	"time"

	"pbxlab/pbx/internal/services"
	"pbxlab/pbx/internal/sipx"
)

// Name is the service's switch name.
const Name = "hotline"

// Service is the hotline service.
type Service struct {
	cfg Config
	st  Store
}

// New builds the service of a checked configuration with its store.
func New(cfg Config, st Store) (*Service, error) {
	if ps := cfg.Check(); len(ps) > 0 {
		return nil, fmt.Errorf("hotline: %w", ps[0])
	}
	return &Service{cfg: cfg, st: st}, nil
}

// Name implements services.Service.
func (s *Service) Name() string { return Name }

// Claims implements services.Codes.
func (s *Service) Claims(dialled string) bool { return Parse(dialled).Op != None }

// OffHook reports whether dialled is the off-hook number.
func (s *Service) OffHook(dialled string) bool {
	return services.NormaliseCode(dialled) == s.cfg.offHook()
}

// InterDigit is how long a delayed hotline waits for the next digit.
func (s *Service) InterDigit() time.Duration { return s.cfg.interDigit() }

// Line returns subscriber's hotline: the one set from the phone, else the
// configured one; Number "" is none, Delay 0 immediate.
func (s *Service) Line(ctx context.Context, subscriber string) (Setting, error) {
	st, ok, err := s.st.Get(ctx, subscriber)
	if err != nil {
		return Setting{}, fmt.Errorf("hotline of %s: %w", subscriber, err)
	}
	if ok {
		return st, nil
	}
	l, ok := s.cfg.Subscribers[subscriber]
	if !ok {
		return Setting{}, nil
	}
	st = Setting{Number: l.Number}
	if l.Mode == Delayed {
		st.Delay = l.Delay
		if st.Delay == 0 {
			st.Delay = s.cfg.delay()
		}
	}
	return st, nil
}

// Dialled implements services.Dialled: the codes, and the off-hook number
// of a subscriber with a hotline (rewritten to the hotline number; a
// delayed line the PBX did not take is called at once). Off hook without
// a hotline is 404 (the vacant number prompt).
func (s *Service) Dialled(ctx context.Context, c *services.Call) (services.Verdict, error) {
	code := Parse(c.Dialled)
	switch {
	case code.Op == None:
		return s.offHook(ctx, c)
	case !c.Subscriber:
		return services.Refusal(403, "Forbidden", fmt.Errorf("hotline code from %q: %w", c.Caller, sipx.ErrForbidden)), nil
	case code.Op == Malformed, code.Op == Set && code.Number == c.Caller:
		return services.Refusal(484, "Address Incomplete", fmt.Errorf("%q: %w", c.Dialled, ErrMalformed)), nil
	}
	caller, st := c.Caller, Setting{Number: code.Number, Delay: code.Delay} // Clear: off, beating the configuration
	return services.Verdict{Kind: services.Feature, Apply: func(ctx context.Context) error {
		return s.st.Put(ctx, caller, st)
	}}, nil
}

func (s *Service) offHook(ctx context.Context, c *services.Call) (services.Verdict, error) {
	if !c.Subscriber || !s.OffHook(c.Dialled) {
		return services.Verdict{}, nil
	}
	l, err := s.Line(ctx, c.Caller)
	if err != nil {
		return services.Verdict{}, err
	}
	if l.Number == "" {
		return services.Refusal(404, "Not Found", fmt.Errorf("%s off hook: %w", c.Caller, ErrNoHotline)), nil
	}
	return services.Verdict{Kind: services.Rewrite, Number: l.Number}, nil
}
