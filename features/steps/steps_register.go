package steps

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cucumber/godog"
	"github.com/emiago/sipgo/sip"

	"pbxlab/sim/phone"
)

// registerRegistrationSteps: REGISTER in all its forms (RFC 3261 §10).
func registerRegistrationSteps(sc *godog.ScenarioContext) {
	sc.Given(`^phone (\d+) is registered$`, step1(func(ctx context.Context, w *world, name string) error {
		return registerPhone(ctx, w, name, "", 0)
	}))
	sc.Given(`^phone (\d+) is registered on device "([^"]+)"$`, step2(func(ctx context.Context, w *world, name, device string) error {
		return registerPhone(ctx, w, name, device, 0)
	}))
	sc.Given(`^phone (\d+) is registered for (\d+) seconds?$`, step2(func(ctx context.Context, w *world, name string, secs int) error {
		return registerPhone(ctx, w, name, "", time.Duration(secs)*time.Second)
	}))
	sc.Step(`^phone (\d+) tries to register with a wrong password$`, step1(registerWrongPassword))
	sc.Then(`^the registration is refused with (\d+(?: or \d+)*)$`, step1(registrationRefused))
	sc.Then(`^the registration of (\d+) is accepted$`, step1(registrationAccepted))
	sc.Step(`^phone (\d+) unregisters$`, step1(unregisterPhone))
	sc.Then(`^(\d+) has refreshed its registration$`, step1(hasRefreshed))
	sc.Step(`^(\d+) seconds? pass(?:es)?$`, step1(func(ctx context.Context, _ *world, secs int) error {
		return sleep(ctx, time.Duration(secs)*time.Second)
	}))

	// Registrations sent from fixtures, for what the simulator does not do.
	sc.Given(`^phone (\d+) is not registered$`, step1(ensureUnregistered))
	sc.Step(`^phone (\d+) removes all its registrations$`, step1(removeAllRegistrations))
	sc.Given(`^phone (\d+) registers from behind a NAT, its Contact naming the private address (\S+)$`, step2(registerBehindNAT))
	sc.Given(`^phone (\d+) registers once for (\d+) seconds? and never refreshes$`, step2(registerOnce))
	sc.Step(`^the registration of (\d+) expires$`, step1(registrationExpires))
	sc.Step(`^phone (\d+) asks to register for (\d+) seconds?$`, step2(askRegister))
	sc.Then(`^the registrar answers (\d+) [A-Za-z ]+ with Min-Expires (\d+)$`, step2(registrarAnswersMinExpires))
}

// registerPhone adds a simulated phone and registers it; expires 0 keeps
// the simulator's default (3600 s).
func registerPhone(ctx context.Context, w *world, name, device string, expires time.Duration) error {
	sp, err := w.newPhone(ctx, name, device, func(pc *phone.PhoneConfig) { pc.Expires = expires })
	if err != nil {
		return err
	}
	rctx, cancel := w.waitCtx(ctx)
	defer cancel()
	reg, err := sp.p.Register(rctx)
	w.lastReg = &regOutcome{name: name, reg: reg, err: err}
	if err != nil {
		return fmt.Errorf("%w: register phone %s: %w", ErrExpectation, name, err)
	}
	sp.registered = true
	if reg.Expires <= 0 {
		return fmt.Errorf("%w: register phone %s: granted no lifetime (%d %s)", ErrExpectation, name, reg.Code, reg.Reason)
	}
	return nil
}

func registerWrongPassword(ctx context.Context, w *world, name string) error {
	sp, err := w.newPhone(ctx, name, "", func(pc *phone.PhoneConfig) { pc.Password = "wrong-" + pc.Password })
	if err != nil {
		return err
	}
	rctx, cancel := w.waitCtx(ctx)
	defer cancel()
	reg, err := sp.p.Register(rctx)
	w.lastReg = &regOutcome{name: name, reg: reg, err: err}
	if err == nil {
		sp.registered = true
	}
	return nil
}

func registrationRefused(_ context.Context, w *world, codes string) error {
	if w.lastReg == nil {
		return fmt.Errorf("%w: no registration attempt yet", ErrUsage)
	}
	var want []int
	for _, s := range strings.Split(codes, " or ") {
		n, _ := strconv.Atoi(s)
		want = append(want, n)
	}
	got := phone.StatusCode(w.lastReg.err)
	if w.lastReg.err == nil || !slices.Contains(want, got) {
		return fmt.Errorf("%w: registration of %s: want refusal %s, got %d %s (error %v)",
			ErrExpectation, w.lastReg.name, codes, w.lastReg.reg.Code, w.lastReg.reg.Reason, w.lastReg.err)
	}
	return nil
}

// registrationAccepted proves the registration took effect at the
// registrar, on any target: a query of the number's bindings (REGISTER
// without Contact, RFC 3261 §10.2.3) must list the phone's contact with the
// lifetime the registrar granted, less the time since (RFC 3261 §10.3 step
// 8: every listed contact carries the seconds it has left).
func registrationAccepted(ctx context.Context, w *world, name string) error {
	sp, err := w.simPhoneOf(name, "")
	if err != nil {
		return err
	}
	reg := sp.p.Registration()
	if reg.Code < 200 || reg.Code > 299 || reg.Expires <= 0 {
		return fmt.Errorf("%w: registration of %s: want 2xx with a lifetime, got %d %s, %s", ErrExpectation, name, reg.Code, reg.Reason, reg.Expires)
	}
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	bindings, err := sp.p.Bindings(wctx)
	if err != nil {
		return fmt.Errorf("%w: registration of %s: query of its bindings: %w", ErrExpectation, name, err)
	}
	// The registrar counts whole seconds: allow one for rounding.
	earliest := reg.Expires - time.Since(reg.At) - time.Second
	for _, b := range bindings {
		if !b.Mine {
			continue
		}
		if b.Expires > reg.Expires || b.Expires < earliest {
			return fmt.Errorf("%w: registration of %s: the registrar lists %s with %s left, want between %s and the %s granted",
				ErrExpectation, name, b.Contact, b.Expires, earliest.Truncate(time.Second), reg.Expires)
		}
		return nil
	}
	return fmt.Errorf("%w: registration of %s was answered %d but the registrar lists no binding for %s (it lists %v)",
		ErrExpectation, name, reg.Code, sp.p.Contact(), bindings)
}

func unregisterPhone(ctx context.Context, w *world, name string) error {
	sp, err := w.simPhoneOf(name, "")
	if err != nil {
		return err
	}
	rctx, cancel := w.waitCtx(ctx)
	defer cancel()
	reg, err := sp.p.Unregister(rctx)
	if err != nil {
		return fmt.Errorf("%w: unregister %s: %w", ErrExpectation, name, err)
	}
	sp.registered = false
	if reg.Code < 200 || reg.Code > 299 {
		return fmt.Errorf("%w: unregister %s: got %d %s", ErrExpectation, name, reg.Code, reg.Reason)
	}
	return nil
}

func hasRefreshed(_ context.Context, w *world, name string) error {
	sp, err := w.simPhoneOf(name, "")
	if err != nil {
		return err
	}
	sp.mu.Lock()
	n, rerr := sp.refreshes, sp.refreshErr
	sp.mu.Unlock()
	if n == 0 || rerr != nil {
		return fmt.Errorf("%w: %s refreshed %d times, last error %v", ErrExpectation, name, n, rerr)
	}
	return nil
}

// ensureUnregistered removes every binding of the number (REGISTER with
// Contact: * and Expires: 0, RFC 3261 §10.2.2), so that "not registered"
// holds on a live PBX too.
func ensureUnregistered(ctx context.Context, w *world, name string) error {
	rp, err := w.rawPhoneOf(ctx, name)
	if err != nil {
		return err
	}
	return w.unregisterAll(ctx, rp)
}

func removeAllRegistrations(ctx context.Context, w *world, name string) error {
	return ensureUnregistered(ctx, w, name)
}

func (w *world) unregisterAll(ctx context.Context, rp *rawPhone) error {
	rctx, cancel := w.waitCtx(ctx)
	defer cancel()
	res, err := rp.register(rctx, rawRegistration{Sub: rp.sub, Domain: w.ep.Domain, Contact: "*", Expires: 0})
	if err != nil {
		return err
	}
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return fmt.Errorf("%w: REGISTER * of %s: got %d %s", ErrExpectation, rp.name, res.StatusCode, res.Reason)
	}
	rp.registered = false
	for _, sp := range w.devicesOf(rp.name) {
		sp.registered = false
	}
	return nil
}

// registerBehindNAT registers like a phone behind NAT: Via sent-by and
// Contact name its private address, while the datagram really comes from
// the raw endpoint's socket (RFC 3581).
func registerBehindNAT(ctx context.Context, w *world, name, private string) error {
	rp, err := w.rawPhoneOf(ctx, name)
	if err != nil {
		return err
	}
	contact := fmt.Sprintf("<sip:%s@%s%s>", rp.sub.Number, private, transportParam(w.ep.Transport))
	_, err = rawRegister(ctx, w, rp, rawRegistration{SentBy: private, Contact: contact, Expires: 3600})
	return err
}

// registerOnce registers a contact that never refreshes (a phone that
// went away).
func registerOnce(ctx context.Context, w *world, name string, secs int) error {
	rp, err := w.rawPhoneOf(ctx, name)
	if err != nil {
		return err
	}
	contact := fmt.Sprintf("<sip:%s@%s%s>", rp.sub.Number, rp.ua.Local(), transportParam(w.ep.Transport))
	_, err = rawRegister(ctx, w, rp, rawRegistration{Contact: contact, Expires: secs})
	return err
}

func rawRegister(ctx context.Context, w *world, rp *rawPhone, r rawRegistration) (*sip.Response, error) {
	r.Sub, r.Domain = rp.sub, w.ep.Domain
	rctx, cancel := w.waitCtx(ctx)
	defer cancel()
	res, err := rp.register(rctx, r)
	if err != nil {
		return nil, err
	}
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return res, fmt.Errorf("%w: REGISTER of %s: got %d %s", ErrExpectation, rp.name, res.StatusCode, res.Reason)
	}
	rp.registered = true
	rp.granted = grantedExpiry(res, r.Expires)
	rp.at = time.Now()
	return res, nil
}

func transportParam(transport string) string {
	if transport == "tcp" {
		return ";transport=tcp"
	}
	return ""
}

// grantedExpiry reads the lifetime a registrar granted (RFC 3261 §10.2.4):
// the Contact's expires parameter, else Expires, else what was asked.
func grantedExpiry(res *sip.Response, asked int) time.Duration {
	for _, h := range res.GetHeaders("Contact") {
		if c, ok := h.(*sip.ContactHeader); ok {
			if v, ok := c.Params.Get("expires"); ok {
				if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
					return time.Duration(n) * time.Second
				}
			}
		}
	}
	if h := res.GetHeader("Expires"); h != nil {
		if n, err := strconv.Atoi(strings.TrimSpace(h.Value())); err == nil {
			return time.Duration(n) * time.Second
		}
	}
	return time.Duration(asked) * time.Second
}

func registrationExpires(ctx context.Context, w *world, name string) error {
	w.mu.Lock()
	rp := w.raws[name]
	w.mu.Unlock()
	if rp == nil || !rp.registered {
		return fmt.Errorf("%w: %s has no one-off registration", ErrUsage, name)
	}
	return sleep(ctx, time.Until(rp.at.Add(rp.granted))+time.Second)
}

func askRegister(ctx context.Context, w *world, name string, secs int) error {
	rp, err := w.rawPhoneOf(ctx, name)
	if err != nil {
		return err
	}
	contact := fmt.Sprintf("<sip:%s@%s%s>", rp.sub.Number, rp.ua.Local(), transportParam(w.ep.Transport))
	rctx, cancel := w.waitCtx(ctx)
	defer cancel()
	res, err := rp.register(rctx, rawRegistration{Sub: rp.sub, Domain: w.ep.Domain, Contact: contact, Expires: secs})
	if err != nil {
		return err
	}
	if res.StatusCode >= 200 && res.StatusCode < 300 {
		rp.registered = true
	}
	w.lastRawReg = &rawRegOutcome{name: name, res: res}
	return nil
}

func registrarAnswersMinExpires(_ context.Context, w *world, code, minExpires int) error {
	if w.lastRawReg == nil {
		return fmt.Errorf("%w: no registration asked for yet", ErrUsage)
	}
	res := w.lastRawReg.res
	got := ""
	if h := res.GetHeader("Min-Expires"); h != nil {
		got = strings.TrimSpace(h.Value())
	}
	if res.StatusCode != code || got != strconv.Itoa(minExpires) {
		return fmt.Errorf("%w: REGISTER of %s: want %d with Min-Expires %d, got %d %s with Min-Expires %q",
			ErrExpectation, w.lastRawReg.name, code, minExpires, res.StatusCode, res.Reason, got)
	}
	return nil
}

// sleep waits d unless ctx ends first.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return errors.Join(fmt.Errorf("wait %s", d), ctx.Err())
	}
}
