package steps

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cucumber/godog"
	"github.com/emiago/sipgo/sip"

	"pbxlab/pbx"
	"pbxlab/pbx/config"
)

// registerDivertSteps: a callee's 3xx (RFC 3261 §21.3) and what the PBX
// makes of it — relayed to the caller, or followed with 181, Diversion
// (RFC 5806) and the path in the CDR.
func registerDivertSteps(sc *godog.ScenarioContext) {
	sc.Given(`^the PBX follows redirects from (\d+)$`, step1(func(_ context.Context, w *world, name string) error {
		return w.configure(func(c *config.Config) error {
			// phones deflect to a number at the PBX's domain, its realm
			// (its address may be a published port it does not know of)
			w.mu.Lock()
			w.pbxDomain = c.DefaultRealm().Name
			w.mu.Unlock()
			return editSubscriber(c, name, func(s *config.Subscriber) { s.FollowRedirects = true })
		})
	}))
	sc.When(`^(\d+) redirects the call to (\d+) with (301|302)$`, step3(redirectTo))
	sc.Then(`^(\d+) is told the call is being forwarded$`, step1(toldForwarded))
	sc.Then(`^the call reaches (\d+) diverted from (\d+)$`, step2(reachesDiverted))
	sc.Then(`^the call record shows the call to (\d+) diverted from (\d+)$`, step2(cdrShowsDiversion))
}

// redirectTo answers the current call ringing at name with a 3xx whose
// Contact is target's number at the PBX (a phone's deflect key): at its
// domain when the scenario configured it, else at its address; and makes
// target the callee of the current call from now on.
func redirectTo(ctx context.Context, w *world, name, target string, code int) error {
	leg, err := waitRinging(ctx, w, name, "")
	if err != nil {
		return err
	}
	if leg == nil {
		return fmt.Errorf("%w: %s is not a simulated phone", ErrUsage, name)
	}
	rec, err := w.currentCall()
	if err != nil {
		return err
	}
	sub, err := w.subscriber(target)
	if err != nil {
		return err
	}
	u := sip.Uri{Scheme: "sip", User: sub.Number, Host: w.ep.Addr.Addr().String(), Port: int(w.ep.Addr.Port())}
	w.mu.Lock()
	if w.pbxDomain != "" {
		u.Host, u.Port = w.pbxDomain, 0
	}
	w.mu.Unlock()
	if w.ep.Transport == "tcp" {
		u.UriParams = sip.NewParams()
		u.UriParams.Add("transport", "tcp")
	}
	id, err := w.identityOf(target)
	if err != nil {
		return err
	}
	// the call is for target from now on: its rings count from here, and
	// the caller expects to hear target, not the number it dialled
	rec.out.ExpectIdentity(id)
	w.mu.Lock()
	rec.callee = target
	rec.base = map[phoneKey]int{}
	w.mu.Unlock()
	for _, d := range w.devicesOf(target) {
		rec.base[d.key] = d.incomingCount()
	}
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	if err := leg.Redirect(wctx, code, u); err != nil {
		return fmt.Errorf("%w: %s redirects to %s: %w", ErrExpectation, name, target, err)
	}
	return nil
}

// toldForwarded checks that the caller got 181 Call Is Being Forwarded.
func toldForwarded(ctx context.Context, w *world, name string) error {
	rec, err := w.currentCall()
	if err != nil {
		return err
	}
	if rec.caller != name || rec.out == nil {
		return fmt.Errorf("%w: %s did not place the current call %s", ErrUsage, name, rec)
	}
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	_, err = w.awaitWire(wctx, "181 for "+rec.String(), func(msgs []wireMessage) (wireMessage, bool) {
		for _, m := range msgs {
			if res, ok := m.Msg.(*sip.Response); ok && res.StatusCode == 181 && res.CallID() != nil && res.CallID().Value() == rec.out.CallID() {
				return m, true
			}
		}
		return wireMessage{}, false
	})
	// the capture has the PBX's write; the phone reads it a moment later
	for err == nil && !slices.Contains(rec.out.Provisional(), 181) {
		err = sleep(wctx, 10*time.Millisecond)
	}
	if err != nil {
		return fmt.Errorf("%w: %s got provisionals %v, no 181 Call Is Being Forwarded (%v)", ErrExpectation, name, rec.out.Provisional(), err)
	}
	return nil
}

// reachesDiverted checks that the INVITE reaching name carries a Diversion
// entry (RFC 5806) naming from, with a reason (any).
func reachesDiverted(ctx context.Context, w *world, name, from string) error {
	return reachesDivertedWithReason(ctx, w, name, from, "")
}

// cdrSession is a session that can list its PBX's call detail records
// (the in-process PBX).
type cdrSession interface {
	cdrs(ctx context.Context) ([]pbx.CDR, error)
}

func (s *inProcessSession) cdrs(ctx context.Context) ([]pbx.CDR, error) {
	s.mu.Lock()
	inst := s.inst
	s.mu.Unlock()
	if inst == nil {
		return nil, fmt.Errorf("%w: the PBX is not running", ErrUsage)
	}
	return inst.ListCDRs(ctx, pbx.CDRFilter{})
}

// cdrShowsDiversion waits for the current call's finished record: callee
// the number the call ended at, and the path naming the number it was
// diverted from.
func cdrShowsDiversion(ctx context.Context, w *world, callee, from string) error {
	rec, err := w.currentCall()
	if err != nil {
		return err
	}
	rec.checked = true
	to, err := w.subscriber(callee)
	if err != nil {
		return err
	}
	div, err := w.subscriber(from)
	if err != nil {
		return err
	}
	return awaitCDR(ctx, w, fmt.Sprintf("a finished CDR for %s diverted from %s", callee, from), func(r pbx.CDR) bool {
		return r.Disposition != pbx.InProgress && r.Callee == to.Number && strings.Contains(r.Reason, "diverted: <sip:"+div.Number+"@")
	})
}

// awaitCDR polls the in-process PBX's call detail records until one
// matches or the scenario's wait ends (what names it for the error).
func awaitCDR(ctx context.Context, w *world, what string, match func(pbx.CDR) bool) error {
	cs, ok := w.sess.(cdrSession)
	if !ok {
		return fmt.Errorf("%w: the target does not show CDRs (tag the scenario @in-process @pbx-files)", ErrUsage)
	}
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var last []pbx.CDR
	for {
		rs, err := cs.cdrs(wctx)
		if err == nil {
			last = rs
			for _, r := range rs {
				if match(r) {
					return nil
				}
			}
		}
		select {
		case <-tick.C:
		case <-wctx.Done():
			return fmt.Errorf("%w: no %s: %s(%v)", ErrExpectation, what, brief(last), wctx.Err())
		}
	}
}

// brief is a one-line view of CDRs for failure messages.
func brief(rs []pbx.CDR) string {
	var b strings.Builder
	for _, r := range rs {
		fmt.Fprintf(&b, "[%s→%s %s %d %q] ", r.Caller, r.Callee, r.Disposition, r.Cause, r.Reason)
	}
	return b.String()
}
