package services

import (
	"context"
	"fmt"

	"pbxlab/pbx/internal/sipx"
)

// Switches answers whether a service is on for a number (switches.Set).
type Switches interface {
	On(service, number string) bool
}

// Emergency tells emergency numbers (emergency.List).
type Emergency interface {
	Is(number string) bool
}

// Chain runs the services at each point, in the order given to NewChain.
type Chain struct {
	sw   Switches
	em   Emergency
	svcs []Service
}

// NewChain builds a chain; sw and em may be nil (every service on, no
// emergency number). A service name given twice is ErrDuplicate.
func NewChain(sw Switches, em Emergency, svcs ...Service) (*Chain, error) {
	seen := map[string]bool{}
	for _, s := range svcs {
		if seen[s.Name()] {
			return nil, fmt.Errorf("service chain: %q: %w", s.Name(), ErrDuplicate)
		}
		seen[s.Name()] = true
	}
	return &Chain{sw: sw, em: em, svcs: svcs}, nil
}

// Names lists the chain's services in order.
func (ch *Chain) Names() []string {
	out := make([]string, 0, len(ch.svcs))
	for _, s := range ch.svcs {
		out = append(out, s.Name())
	}
	return out
}

// Dialled runs the Dialled hooks: the first verdict other than Continue
// and Rewrite ends the run; a Rewrite changes c.Dialled for the services
// after it (and is returned at the end as one Rewrite). An emergency
// number stops the chain at once.
func (ch *Chain) Dialled(ctx context.Context, c *Call) (Verdict, error) {
	orig := c.Dialled
	for _, s := range ch.svcs {
		if ch.emergency(c, c.Dialled) {
			break
		}
		h, ok := s.(Dialled)
		if !ok {
			continue
		}
		if !ch.on(s, c) {
			if cl, ok := s.(Codes); ok && cl.Claims(c.Dialled) {
				return Verdict{Kind: Refuse, By: s.Name(), Err: &sipx.StatusError{Code: 403, Reason: "Forbidden",
					Err: fmt.Errorf("%s dialling %q: service %s: %w", c.Caller, c.Dialled, s.Name(), ErrSwitchedOff)}}, nil
			}
			continue
		}
		v, err := h.Dialled(ctx, c)
		if err != nil {
			return Verdict{}, fmt.Errorf("service %s: %w", s.Name(), err)
		}
		v.By = s.Name()
		switch v.Kind {
		case Continue:
		case Rewrite:
			c.Dialled = v.Number
			if v.As != "" {
				c.Caller = v.As
			}
		default:
			return v, nil
		}
	}
	ch.emergency(c, c.Dialled)
	if c.Dialled != orig {
		return Verdict{Kind: Rewrite, Number: c.Dialled}, nil
	}
	return Verdict{}, nil
}

// Routed runs the Routed hooks: the first verdict other than Continue
// ends the run (a Rewrite is not allowed there: ErrLateRewrite).
func (ch *Chain) Routed(ctx context.Context, c *Call) (Verdict, error) {
	if ch.emergency(c, c.Called) {
		return Verdict{}, nil
	}
	for _, s := range ch.svcs {
		h, ok := s.(Routed)
		if !ok || !ch.on(s, c) {
			continue
		}
		v, err := h.Routed(ctx, c)
		if err != nil {
			return Verdict{}, fmt.Errorf("service %s: %w", s.Name(), err)
		}
		v.By = s.Name()
		switch v.Kind {
		case Continue:
		case Rewrite:
			return Verdict{}, fmt.Errorf("service %s: %w", s.Name(), ErrLateRewrite)
		default:
			return v, nil
		}
	}
	return Verdict{}, nil
}

// IsEmergency reports whether number is one of the emergency numbers
// (for the checks the PBX makes before the chain runs, such as a suspended
// subscriber's: an emergency call is always routed, manual ch. 3).
func (ch *Chain) IsEmergency(number string) bool {
	return ch != nil && ch.em != nil && number != "" && ch.em.Is(number)
}

// emergency marks c as an emergency call when number is an emergency
// number and reports whether c is one.
func (ch *Chain) emergency(c *Call, number string) bool {
	if !c.Emergency && ch.em != nil && number != "" && ch.em.Is(number) {
		c.Emergency = true
	}
	return c.Emergency
}

// on asks the switches about s for the caller's number: the services at
// these points act on the caller's side of the call.
func (ch *Chain) on(s Service, c *Call) bool {
	return ch.sw == nil || ch.sw.On(s.Name(), c.Caller)
}

// On reports whether service is switched on for number (for the PBX's
// own parts of a service that act before the chain runs, such as the
// delayed hotline's dial tone).
func (ch *Chain) On(service, number string) bool {
	return ch != nil && (ch.sw == nil || ch.sw.On(service, number))
}
