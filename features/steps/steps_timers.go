package steps

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/cucumber/godog"
	"github.com/emiago/sipgo/sip"

	"pbxlab/pbx"
	"pbxlab/pbx/config"
	"pbxlab/sim/phone"
)

// Session timers (RFC 4028): the phones ask for them and refresh; the
// PBX refreshes or ends a session whose refresh never comes. These waits
// are the RFC's: a 90 s session is refreshed after 45 s and given up after
// 60 s without refresh (real time in the in-process suite).
func registerTimerSteps(sc *godog.ScenarioContext) {
	sc.Given(`^phone (\d+) asks for a (\d+) second session timer it refreshes by (UPDATE|re-INVITE)$`, step3(asksSessionTimer))
	sc.Given(`^phone (\d+) asks for a (\d+) second session timer it never refreshes$`, step2(func(_ context.Context, w *world, name string, secs int) error {
		return eachDevice(w, name, func(p *phone.Phone) {
			p.SetSessionTimer(phone.SessionTimer{Expires: time.Duration(secs) * time.Second, Refresher: "uac", NoRefresh: true})
		})
	}))
	sc.Given(`^the PBX asks (\d+) for a (\d+) second session timer it refreshes itself$`, step2(pbxRefreshesSubscriber))
	sc.Then(`^the PBX answers (\d+)'s first INVITE with 422 and Min-SE (\d+)$`, step2(answered422))
	sc.Then(`^(\d+)'s session lasts (\d+) seconds and is refreshed by (\d+|the PBX)$`, step3(sessionIs))
	sc.Then(`^(\d+) refreshes the session and the call stays up$`, step1(func(ctx context.Context, w *world, name string) error {
		return refreshed(ctx, w, name, true)
	}))
	sc.Then(`^the PBX refreshes (\d+)'s session and the call stays up$`, step1(func(ctx context.Context, w *world, name string) error {
		return refreshed(ctx, w, name, false)
	}))
	sc.Then(`^the PBX ends the call when the session expires$`, step0(endedBySessionExpiry))
	sc.Then(`^the PBX records the call as ended by the session timer$`, step0(recordedSessionExpiry))
}

func asksSessionTimer(_ context.Context, w *world, name string, secs int, method string) error {
	return eachDevice(w, name, func(p *phone.Phone) {
		p.SetSessionTimer(phone.SessionTimer{Expires: time.Duration(secs) * time.Second, Refresher: "uac", UseUpdate: method == "UPDATE"})
	})
}

// pbxRefreshesSubscriber: subscribers[].session_timers of name, the PBX
// the refresher of the legs to and from it.
func pbxRefreshesSubscriber(_ context.Context, w *world, name string, secs int) error {
	return w.configure(func(c *config.Config) error {
		return editSubscriber(c, name, func(s *config.Subscriber) {
			s.SessionTimers = config.SessionTimers{Expires: time.Duration(secs) * time.Second, Refresher: config.RefresherPBX}
		})
	})
}

// answered422: the PBX refused name's first INVITE with 422 and the Min-SE
// (RFC 4028 §9); the phone's retry is what the scenario's call is.
func answered422(ctx context.Context, w *world, name string, min int) error {
	sub, err := w.subscriber(name)
	if err != nil {
		return err
	}
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	_, err = w.awaitWire(wctx, fmt.Sprintf("422 with Min-SE %d to %s", min, name), func(msgs []wireMessage) (wireMessage, bool) {
		for _, m := range msgs {
			res, ok := m.Msg.(*sip.Response)
			if !ok || res.StatusCode != 422 || res.CSeq() == nil || res.CSeq().MethodName != sip.INVITE || res.From() == nil || res.From().Address.User != sub.Number {
				continue
			}
			if h := res.GetHeader("Min-SE"); h != nil && strings.TrimSpace(h.Value()) == fmt.Sprint(min) {
				return m, true
			}
		}
		return wireMessage{}, false
	})
	return err
}

// timerLeg is name's leg of the current call, answered.
func timerLeg(w *world, name string) (*callRec, *phone.Call, error) {
	rec, err := w.currentCall()
	if err != nil {
		return nil, nil, err
	}
	leg := legOf(rec, name)
	if leg == nil {
		return nil, nil, fmt.Errorf("%w: %s has no answered leg of %s", ErrUsage, name, rec)
	}
	return rec, leg, nil
}

func sessionIs(_ context.Context, w *world, name string, secs int, refresher string) error {
	_, leg, err := timerLeg(w, name)
	if err != nil {
		return err
	}
	i, self := leg.Session()
	want := time.Duration(secs) * time.Second
	if i != want || self != (refresher == name) {
		who := "the PBX"
		if self {
			who = name
		}
		return fmt.Errorf("%w: %s's session lasts %s, refreshed by %s; want %s refreshed by %s", ErrExpectation, name, i, who, want, refresher)
	}
	return nil
}

// refreshed waits (up to the session interval) for a refresh of name's
// session, sent by name (self) or by the PBX, and checks the call is up.
func refreshed(ctx context.Context, w *world, name string, self bool) error {
	rec, leg, err := timerLeg(w, name)
	if err != nil {
		return err
	}
	i, _ := leg.Session()
	if i == 0 {
		return fmt.Errorf("%w: %s's leg has no session timer", ErrExpectation, name)
	}
	wctx, cancel := context.WithTimeout(ctx, i+w.suite.cfg.Wait)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		sent, received := leg.Refreshes()
		if (self && sent > 0) || (!self && received > 0) {
			break
		}
		select {
		case <-tick.C:
		case <-leg.Done():
			return fmt.Errorf("%w: %s's leg of %s ended (%+v) before a refresh", ErrExpectation, name, rec, leg.End())
		case <-wctx.Done():
			return fmt.Errorf("%w: no session refresh on %s's leg of %s within %s", ErrExpectation, name, rec, i)
		}
	}
	for _, c := range []*phone.Call{rec.out, rec.answered} {
		if c == nil || c.State() != phone.Answered {
			return fmt.Errorf("%w: %s is not up after the refresh", ErrExpectation, rec)
		}
	}
	return nil
}

// endedBySessionExpiry: the PBX BYEs both phones once the refresher's
// session expired (RFC 4028 §10: the interval minus min(32 s, interval/3)).
func endedBySessionExpiry(ctx context.Context, w *world) error {
	rec, err := w.currentCall()
	if err != nil {
		return err
	}
	rec.checked = true
	if rec.out == nil || rec.answered == nil {
		return fmt.Errorf("%w: %s was never answered", ErrExpectation, rec)
	}
	i, _ := rec.out.Session()
	if i == 0 {
		return fmt.Errorf("%w: %s's caller leg has no session timer", ErrExpectation, rec)
	}
	wctx, cancel := context.WithTimeout(ctx, i+w.suite.cfg.Wait)
	defer cancel()
	return endedByPBX(wctx, rec)
}

// recordedSessionExpiry: the in-process PBX's CDR gives the session timer
// as the reason the call ended (an operator's view; @pbx-files).
func recordedSessionExpiry(ctx context.Context, w *world) error {
	return awaitCDR(ctx, w, "CDR ended by the session timer", func(r pbx.CDR) bool {
		return strings.HasPrefix(r.Reason, "session timer expired")
	})
}
