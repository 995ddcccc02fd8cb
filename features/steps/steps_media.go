package steps

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/cucumber/godog"

	"pbxlab/internal/sdpneg"
	"pbxlab/pbx/config"
	"pbxlab/sim/phone"
)

// registerMediaSteps: anchored media (the media server), observed only
// from the simulated phones: the SDP each phone got, where the RTP it hears
// comes from, and the calls the PBX ends.
func registerMediaSteps(sc *godog.ScenarioContext) {
	sc.Given(`^the media timeout is (\d+) seconds?$`, step1(mediaTimeout))
	sc.Given(`^phone (\d+) is behind a NAT, its SDP naming the private address (\S+)$`, step2(func(_ context.Context, w *world, name, ip string) error {
		addr, err := netip.ParseAddr(ip)
		if err != nil {
			return fmt.Errorf("%w: %q is not an IP address", ErrUsage, ip)
		}
		return eachDevice(w, name, func(p *phone.Phone) { p.SetSDPAddr(addr) })
	}))
	sc.Given(`^phone (\d+) uses only (PCMU|PCMA|G722)$`, step2(func(_ context.Context, w *world, name, codec string) error {
		c := map[string]sdpneg.Codec{"PCMU": sdpneg.PCMU(), "PCMA": sdpneg.PCMA(), "G722": {PT: 9, Name: "G722", Rate: 8000}}[codec]
		return eachDevice(w, name, func(p *phone.Phone) { p.SetCodecs(c) })
	}))
	sc.When(`^(\d+) stops sending audio$`, step1(func(_ context.Context, w *world, name string) error {
		rec, err := w.currentCall()
		if err != nil {
			return err
		}
		leg := legOf(rec, name)
		if leg == nil {
			return fmt.Errorf("%w: %s has no leg of %s", ErrUsage, name, rec)
		}
		leg.StopSending()
		return nil
	}))
	sc.Then(`^the media between (\d+) and (\d+) flows through the PBX$`, step2(flowsThroughPBX))
	sc.Then(`^the PBX ends the call for lack of media$`, step0(endedForLackOfMedia))
	sc.Then(`^the audio between (\d+) and (\d+) loses no packet and scores a MOS of at least (\d+\.\d+)$`, step3(audioQuality))
}

// audioQuality: each phone of the call measured what it received so far
// (sim/quality: RFC 3550 loss and jitter, one-way delay, E-model MOS):
// audio arrived, none of it was lost, and the MOS reaches min. A PBX that
// drops, duplicates-as-loss or delays packets by hundreds of ms fails it.
func audioQuality(_ context.Context, w *world, a, b string, min float64) error {
	rec, err := w.callBetween(a, b)
	if err != nil {
		return err
	}
	for _, name := range []string{a, b} {
		leg := legOf(rec, name)
		if leg == nil {
			return fmt.Errorf("%w: %s is not answered", ErrUsage, rec)
		}
		q := leg.Quality()
		switch {
		case q.Received == 0:
			return fmt.Errorf("%w: %s received no audio in %s", ErrExpectation, name, rec)
		case q.Lost > 0:
			return fmt.Errorf("%w: %s lost %d of %d packets (%.2f%%) in %s", ErrExpectation, name, q.Lost, q.Expected, q.LossPercent, rec)
		case q.MOS < min:
			return fmt.Errorf("%w: %s scores MOS %.2f (< %.2f): jitter %s, one-way delay %s, loss %.2f%% in %s",
				ErrExpectation, name, q.MOS, min, q.Jitter, q.DelayMean, q.LossPercent, rec)
		}
	}
	return nil
}

func mediaTimeout(_ context.Context, w *world, secs int) error {
	return w.configure(func(c *config.Config) error {
		c.Media.Timeout = time.Duration(secs) * time.Second
		return nil
	})
}

// flowsThroughPBX: each phone sends its RTP to an address that is not the
// other phone's (the SDP it got names the PBX), and the audio it hears comes
// from that same address (symmetric RTP). A proxy that passes SDP through
// fails it: each phone would send straight to the other.
func flowsThroughPBX(_ context.Context, w *world, a, b string) error {
	rec, la, lb, err := w.answeredLegs(a, b)
	if err != nil {
		return err
	}
	for _, p := range []struct {
		name       string
		leg, other *phone.Call
	}{{a, la, lb}, {b, lb, la}} {
		_, remote := p.leg.MediaAddrs()
		otherLocal, _ := p.other.MediaAddrs()
		src := p.leg.MediaStats().LastSource
		switch {
		case !remote.IsValid():
			return fmt.Errorf("%w: %s of %s has no media address", ErrExpectation, p.name, rec)
		case remote == otherLocal:
			return fmt.Errorf("%w: %s sends its RTP straight to the other phone (%s): the media is not anchored", ErrExpectation, p.name, remote)
		case src != remote:
			return fmt.Errorf("%w: %s hears RTP from %s, not from %s where it sends (no symmetric anchor)", ErrExpectation, p.name, src, remote)
		}
	}
	return nil
}

// endedForLackOfMedia: both legs of the current call end with a BYE the
// phones did not send: the PBX's.
func endedForLackOfMedia(ctx context.Context, w *world) error {
	rec, err := w.currentCall()
	if err != nil {
		return err
	}
	rec.checked = true
	if rec.out == nil || rec.answered == nil {
		return fmt.Errorf("%w: %s was never answered", ErrExpectation, rec)
	}
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	return endedByPBX(wctx, rec)
}

// endedByPBX waits for both legs of an answered call to end with a BYE
// from the PBX (neither phone hung up).
func endedByPBX(ctx context.Context, rec *callRec) error {
	for _, l := range []struct {
		name string
		c    *phone.Call
	}{{rec.caller, rec.out}, {rec.callee, rec.answered}} {
		end, err := l.c.Wait(ctx)
		if err != nil {
			return fmt.Errorf("%w: %s's leg of %s did not end: %w", ErrExpectation, l.name, rec, err)
		}
		if end.Reason != phone.ReasonBye || end.By != phone.Remote {
			return fmt.Errorf("%w: %s's leg of %s ended by %s with %s, want a BYE from the PBX", ErrExpectation, l.name, rec, end.By, end.Reason)
		}
	}
	return nil
}
