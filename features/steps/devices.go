package steps

import (
	"context"
	"errors"
	"fmt"
	"time"

	"pbxlab/sim/phone"
)

// agent returns the simulator Agent of a device, starting it (and the PBX)
// on first use. Each device has its own Agent, so one number can be
// registered from several devices.
func (w *world) agent(ctx context.Context, device string) (*phone.Agent, error) {
	ep, err := w.endpoint(ctx)
	if err != nil {
		return nil, err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if a := w.agents[device]; a != nil {
		return a, nil
	}
	a, err := phone.NewAgent(phone.Config{
		Target:    ep.Addr.String(),
		Transport: ep.Transport,
		Domain:    ep.Domain,
	}, phone.WithCapture(w.cap.w), phone.WithLogger(w.log), phone.WithQuality(w.quality))
	if err != nil {
		return nil, fmt.Errorf("start phones of device %q: %w", device, err)
	}
	w.agents[device] = a
	return a, nil
}

// newPhone adds a simulated phone for a scenario number on a device. It
// rings until a step answers (phone.Manual).
func (w *world) newPhone(ctx context.Context, name, device string, edit func(*phone.PhoneConfig)) (*simPhone, error) {
	key := phoneKey{name, device}
	w.mu.Lock()
	exists := w.phones[key] != nil
	w.mu.Unlock()
	if exists {
		return nil, fmt.Errorf("%w: phone %s (device %q) already exists in this scenario", ErrUsage, name, device)
	}
	sub, err := w.subscriber(name)
	if err != nil {
		return nil, err
	}
	a, err := w.agent(ctx, device)
	if err != nil {
		return nil, err
	}
	sp := &simPhone{key: key, sub: sub, changed: make(chan struct{})}
	pc := phone.PhoneConfig{
		Number:     sub.Number,
		Password:   sub.Password,
		Answer:     phone.AnswerMode{Behaviour: phone.Manual},
		OnIncoming: sp.addIncoming,
		OnRegister: func(_ phone.Registration, err error) {
			sp.mu.Lock()
			sp.refreshes++
			sp.refreshErr = err
			sp.mu.Unlock()
		},
	}
	if edit != nil {
		edit(&pc)
	}
	p, err := a.NewPhone(pc)
	if err != nil {
		return nil, err
	}
	sp.p = p
	w.mu.Lock()
	w.phones[key] = sp
	w.mu.Unlock()
	return sp, nil
}

// addIncoming records an incoming call and wakes whoever waits for one.
func (p *simPhone) addIncoming(c *phone.Call) {
	p.mu.Lock()
	p.incoming = append(p.incoming, c)
	close(p.changed)
	p.changed = make(chan struct{})
	p.mu.Unlock()
}

// incomingSince returns the phone's incoming calls after the first n, and a
// channel closed at the next one.
func (p *simPhone) incomingSince(n int) ([]*phone.Call, <-chan struct{}) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if n > len(p.incoming) {
		n = len(p.incoming)
	}
	return append([]*phone.Call(nil), p.incoming[n:]...), p.changed
}

func (p *simPhone) incomingCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.incoming)
}

// rawPhoneOf returns the raw fixture endpoint playing a scenario number,
// opening it on first use.
func (w *world) rawPhoneOf(ctx context.Context, name string) (*rawPhone, error) {
	w.mu.Lock()
	rp := w.raws[name]
	w.mu.Unlock()
	if rp != nil {
		return rp, nil
	}
	sub, err := w.subscriber(name)
	if err != nil {
		return nil, err
	}
	ep, err := w.endpoint(ctx)
	if err != nil {
		return nil, err
	}
	ua, err := w.newRawUA(ep, sub)
	if err != nil {
		return nil, err
	}
	rp = &rawPhone{name: name, sub: sub, ua: ua}
	w.mu.Lock()
	w.raws[name] = rp
	w.mu.Unlock()
	return rp, nil
}

// cleanup ends what the scenario left running, within a bound: calls still
// up are hung up, registrations on a live PBX are removed (its numbers go
// back to the pool), then phones, raw sockets, the PBX and the capture are
// closed.
func (w *world) cleanup() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*w.suite.cfg.Wait)
	defer cancel()
	w.mu.Lock()
	phones := make([]*simPhone, 0, len(w.phones))
	for _, p := range w.phones {
		phones = append(phones, p)
	}
	raws := make([]*rawPhone, 0, len(w.raws))
	for _, r := range w.raws {
		raws = append(raws, r)
	}
	agents := make([]*phone.Agent, 0, len(w.agents))
	for _, a := range w.agents {
		agents = append(agents, a)
	}
	live := w.sess != nil && !w.suite.cfg.Target.Configurable()
	w.mu.Unlock()

	for _, p := range phones {
		for _, c := range p.p.Calls() {
			hctx, hcancel := context.WithTimeout(ctx, 2*time.Second)
			_ = c.Hangup(hctx)
			hcancel()
		}
	}
	if live {
		for _, p := range phones {
			if p.registered {
				uctx, ucancel := context.WithTimeout(ctx, 5*time.Second)
				_, _ = p.p.Unregister(uctx)
				ucancel()
			}
		}
		for _, r := range raws {
			if r.registered {
				_ = w.unregisterAll(ctx, r)
			}
		}
	}
	var errs []error
	for _, r := range raws {
		errs = append(errs, r.ua.Close())
	}
	for _, a := range agents {
		errs = append(errs, a.Close())
	}
	errs = append(errs, w.closeCarriers(), w.closeOthers())
	if w.sess != nil {
		errs = append(errs, w.sess.Close())
	}
	errs = append(errs, w.closeTrunks()) // after the PBX: its unREGISTER is answered
	if w.dns != nil {
		errs = append(errs, w.dns.srv.Close())
	}
	if w.cap != nil {
		if err := w.cap.close(); err != nil {
			errs = append(errs, fmt.Errorf("close capture: %w", err))
		}
	}
	return errors.Join(errs...)
}
