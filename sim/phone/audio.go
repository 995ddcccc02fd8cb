package phone

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"pbxlab/sim/quality"
	"sync"
	"time"

	"pbxlab/internal/rtpaudio"
	"pbxlab/internal/tone"
)

// AudioResult is what one leg of a call heard.
type AudioResult struct {
	// Heard is true when the identity listened for was detected: both its
	// tones, clearly above everything else, with the listener's own tones
	// (echo, loop) absent.
	Heard bool
	// Expected is the identity listened for; Own is the one this leg sends.
	Expected, Own Identity
	// Detail is the last analysis (Reason says why a block failed).
	Detail tone.Result
	// Stats are the RTP counters of this leg when the check ended.
	Stats rtpaudio.Stats
	// Waited is how long the check listened (real time).
	Waited time.Duration
}

// ExpectIdentity overrides the identity TwoWayAudio listens for (by
// default IdentityFor(Remote())), e.g. when a PBX forwards the call to
// another number.
func (c *Call) ExpectIdentity(id Identity) {
	c.mu.Lock()
	c.far = id
	c.mu.Unlock()
}

// ExpectTone makes TwoWayAudio listen for one plain sine (SingleTone), e.g.
// a foreign device's test tone.
func (c *Call) ExpectTone(freq float64) { c.ExpectIdentity(SingleTone(freq)) }

// TwoWayAudio checks this side of the call: it listens until the far end's
// identity is heard (nil error) or ctx ends (ErrNotHeard). The call must be
// answered or receiving early media. When the far end's identity is the
// same as this leg's (numbers 552 apart, or a misconfigured phone), the
// check could not tell the far end from an echo and fails at once with
// ErrSameIdentity. Two-way audio is both legs passing: see VerifyTwoWay.
// Media runs in real time, so the check does too.
func (c *Call) TwoWayAudio(ctx context.Context) (AudioResult, error) {
	c.mu.Lock()
	far := c.far
	c.mu.Unlock()
	if c.media == nil { // a signalling-only Agent or phone
		return AudioResult{Expected: far}, fmt.Errorf("audio check %s: %w", c.callID, ErrNoAudio)
	}
	if own := c.media.ownIdentity(); far == own {
		return AudioResult{Expected: far, Own: own}, fmt.Errorf("audio check %s: %w: %s", c.callID, ErrSameIdentity, far)
	}
	return c.Listen(ctx, far)
}

// Listen listens on this leg until the identity id is heard (nil error) or
// ctx ends (ErrNotHeard); the leg's own identity is refused unless id is
// that identity (then Listen proves an echo). The call must be answered or
// receiving early media. Judging starts once 60% of a window
// (WithAudioWindow) of audio arrived in the last window, so a few lost
// packets do not stall it (the identity tables make loss phase-neutral).
func (c *Call) Listen(ctx context.Context, id Identity) (AudioResult, error) {
	c.mu.Lock()
	state, early := c.state, c.early
	c.mu.Unlock()
	res := AudioResult{Expected: id, Own: c.media.ownIdentity()}
	if c.media == nil || !(state == Answered || (state == Early && early)) {
		return res, fmt.Errorf("audio check %s: %w: %s", c.callID, ErrCallState, state)
	}
	return c.detect(ctx, res, id.detector(res.Own), id.String())
}

// detect runs det over the leg's last audio window every quarter window
// until it finds its tones (nil error) or ctx ends or the call does
// (ErrNotHeard); what names the tones in the error. Judging starts once 60%
// of a window arrived.
func (c *Call) detect(ctx context.Context, res AudioResult, det *tone.Detector, what string) (AudioResult, error) {
	window := c.agent.audioWindow
	start := time.Now()
	tick := time.NewTicker(window / 4)
	defer tick.Stop()
	need := int(window * tone.DefaultRate / time.Second * 6 / 10)
	for {
		samples := c.media.stream.Recent(window)
		switch {
		case len(samples) == 0:
			res.Detail = tone.Result{Reason: "no audio"}
		case len(samples) < need:
			res.Detail = tone.Result{Reason: "not enough audio yet"}
		default:
			res.Detail = det.Analyse(samples)
		}
		res.Stats = c.media.stream.Stats()
		res.Waited = time.Since(start)
		if res.Detail.Present {
			res.Heard = true
			return res, nil
		}
		select {
		case <-tick.C:
		case <-c.done:
			return res, fmt.Errorf("audio check %s: %w: call ended", c.callID, ErrNotHeard)
		case <-ctx.Done():
			return res, fmt.Errorf("audio check %s: %w %s: %s (weakest %g Hz, rejected %g Hz, %d packets in)",
				c.callID, ErrNotHeard, what, res.Detail.Reason, res.Detail.WeakestFreq, res.Detail.RejectedFreq, res.Stats.PacketsIn)
		}
	}
}

// ownIdentity is the identity of this leg's phone as the call started. A
// muted or echoing phone sends something else (nothing, the far end's
// audio) but keeps it, so its own identity coming back is still refused.
func (m *media) ownIdentity() Identity {
	if m == nil {
		return Identity{}
	}
	return m.cfg.identity
}

// TwoWay is the outcome of checking both legs of a call.
type TwoWay struct {
	A, B AudioResult
}

// OK reports whether each leg heard the other.
func (t TwoWay) OK() bool { return t.A.Heard && t.B.Heard }

// VerifyTwoWay checks both legs of one call at once (a and b are the two
// phones' Call values, e.g. caller and callee behind a PBX). It fails unless
// each leg hears the other's identity before ctx ends.
func VerifyTwoWay(ctx context.Context, a, b *Call) (TwoWay, error) {
	var (
		out        TwoWay
		errA, errB error
		wg         sync.WaitGroup
	)
	wg.Go(func() { out.A, errA = a.TwoWayAudio(ctx) })
	wg.Go(func() { out.B, errB = b.TwoWayAudio(ctx) })
	wg.Wait()
	if err := errors.Join(errA, errB); err != nil {
		return out, fmt.Errorf("two-way audio %s <-> %s: %w", a.phone.cfg.Number, b.phone.cfg.Number, err)
	}
	return out, nil
}

// StopSending silences this leg for the rest of the call (a phone whose
// media died while the call stays up): no more RTP goes out; it still
// receives. Nothing happens on a signalling-only phone.
func (c *Call) StopSending() {
	if c.media != nil {
		c.media.stopSending()
	}
}

// MediaAddrs returns this leg's RTP address and the far end's as the SDP
// negotiated it (invalid before it is known, or on a signalling-only
// phone): through a PBX that anchors media, the far end is the PBX.
func (c *Call) MediaAddrs() (local, remote netip.AddrPort) {
	if c.media == nil {
		return netip.AddrPort{}, netip.AddrPort{}
	}
	return c.media.stream.LocalAddr(), c.media.stream.Remote()
}

// MediaStats returns this leg's RTP counters (LastSource: where the last
// accepted packet came from).
func (c *Call) MediaStats() rtpaudio.Stats {
	if c.media == nil {
		return rtpaudio.Stats{}
	}
	return c.media.stream.Stats()
}

// Quality returns what this leg measured of the audio it received so far:
// loss, jitter, one-way delay (exact when the sender is a phone sharing the
// Agent's WithQuality registry) and the E-model's MOS. Zero on a
// signalling-only phone.
func (c *Call) Quality() quality.Report {
	if c.media == nil {
		return quality.Report{}
	}
	return c.media.meter.Report()
}
