package vnet

import (
	"context"
	"fmt"

	"pbxlab/sim/phone"
)

// Phone is a simulated phone on its own Agent (its own address) that
// records every incoming call.
type Phone struct {
	*phone.Phone
	incoming chan *phone.Call
}

// Incoming is the queue of calls that reached the phone (up to 64 not yet
// taken; later ones are not queued).
func (p *Phone) Incoming() <-chan *phone.Call { return p.incoming }

// NextIncoming waits for the next call to reach the phone.
func (p *Phone) NextIncoming(ctx context.Context) (*phone.Call, error) {
	select {
	case c := <-p.incoming:
		return c, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("wait incoming call to %s: %w", p.Number(), ctx.Err())
	}
}

// PhoneOption adjusts a phone made by Harness.Phone.
type PhoneOption func(*phoneSpec)

type phoneSpec struct {
	cfg      phone.PhoneConfig
	register bool
	agent    []phone.Option
}

// Unregistered leaves the phone unregistered.
func Unregistered() PhoneOption { return func(s *phoneSpec) { s.register = false } }

// Answer sets how the phone treats incoming calls (default: answer at once).
func Answer(m phone.AnswerMode) PhoneOption { return func(s *phoneSpec) { s.cfg.Answer = m } }

// PhoneConfig edits the phone's configuration (number and password are
// already filled in).
func PhoneConfig(f func(*phone.PhoneConfig)) PhoneOption { return func(s *phoneSpec) { f(&s.cfg) } }

// AgentOptions adds options to the phone's Agent (e.g. phone.WithRetryInterval).
func AgentOptions(opts ...phone.Option) PhoneOption {
	return func(s *phoneSpec) { s.agent = append(s.agent, opts...) }
}

// Phone starts a phone for subscriber number on a fresh address and
// registers it with the configured password (unless Unregistered). It
// fails t on error. Phones are closed at cleanup.
func (h *Harness) Phone(number string, opts ...PhoneOption) *Phone {
	h.t.Helper()
	spec := phoneSpec{cfg: phone.PhoneConfig{Number: number, Password: h.Password(number)}, register: true}
	for _, o := range opts {
		o(&spec)
	}
	p := &Phone{incoming: make(chan *phone.Call, 64)}
	user := spec.cfg.OnIncoming
	spec.cfg.OnIncoming = func(c *phone.Call) {
		if user != nil {
			user(c)
		}
		select {
		case p.incoming <- c:
		default:
		}
	}
	ag := h.NewAgent(phone.Config{}, spec.agent...)
	ph, err := ag.NewPhone(spec.cfg)
	if err != nil {
		h.t.Fatalf("new phone %s: %v", number, err)
		return nil
	}
	p.Phone = ph
	if spec.register {
		if _, err := ph.Register(h.t.Context()); err != nil {
			h.t.Fatalf("register %s: %v", number, err)
			return nil
		}
	}
	return p
}
