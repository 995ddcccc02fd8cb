package phone

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"sync"
	"time"

	"pbxlab/internal/rtpaudio"
	"pbxlab/internal/tone"
)

// toneTable holds the frequencies phones send, Hz. They lie in 500–2950 Hz,
// at least 60 Hz apart, no one within 35 Hz of 2–5 times another (so
// harmonics of one tone never land on another), and at least 30 Hz away from
// call-progress tones (350–620 Hz), DTMF and the 1000/2100/2600 Hz signalling
// tones a PBX might play.
func toneTable() [22]float64 {
	return [...]float64{
		510, 570, 650, 727, 800, 882, 1055, 1175, 1239, 1366, 1565,
		1663, 1799, 1859, 2145, 2216, 2315, 2435, 2513, 2681, 2767, 2943,
	}
}

// Tones returns the frequencies ToneFor chooses from.
func Tones() []float64 {
	t := toneTable()
	return t[:]
}

// ToneFor returns the tone a phone with this number sends: numbers are
// taken modulo the table, so consecutive numbers get different tones;
// other strings are hashed.
func ToneFor(number string) float64 {
	n, err := strconv.ParseUint(number, 10, 64)
	if err != nil {
		h := fnv.New64a()
		_, _ = h.Write([]byte(number))
		n = h.Sum64()
	}
	t := toneTable()
	return t[n%uint64(len(t))]
}

// AudioResult is what one leg of a call heard.
type AudioResult struct {
	// Heard is true when the far tone was detected, clearly above noise and
	// with our own tone (echo, loop) absent.
	Heard bool
	// Expected is the far tone listened for; Own is the tone we send.
	Expected, Own float64
	// Detail is the last analysis (Reason says why a block failed).
	Detail tone.Result
	// Stats are the RTP counters of this leg when the check ended.
	Stats rtpaudio.Stats
	// Waited is how long the check listened (real time).
	Waited time.Duration
}

// TwoWayAudio checks this side of the call: it listens until the far end's
// tone is heard (nil error) or ctx ends (ErrNotHeard). The call must be
// answered or receiving early media. Two-way audio is both legs passing:
// see VerifyTwoWay. Media runs in real time, so the check does too.
func (c *Call) TwoWayAudio(ctx context.Context) (AudioResult, error) {
	c.mu.Lock()
	state, early, far := c.state, c.early, c.farTone
	c.mu.Unlock()
	res := AudioResult{Expected: far, Own: c.phone.cfg.Tone}
	if c.agent.cfg.SignallingOnly {
		return res, fmt.Errorf("audio check %s: %w", c.callID, ErrNoAudio)
	}
	if c.media == nil || !(state == Answered || (state == Early && early)) {
		return res, fmt.Errorf("audio check %s: %w: %s", c.callID, ErrCallState, state)
	}
	det := tone.NewDetector(tone.Config{Freq: far, Reject: []float64{res.Own}})
	window := c.agent.audioWindow
	start := time.Now()
	tick := time.NewTicker(window / 4)
	defer tick.Stop()
	// Judge only full windows: a short block widens the detector's band
	// until neighbouring table tones leak into each other.
	need := int(window * tone.DefaultRate / time.Second * 9 / 10)
	for {
		samples := c.media.stream.Recent(window)
		res.Detail = det.Analyse(samples)
		if len(samples) < need && res.Detail.Present {
			res.Detail.Present, res.Detail.Reason = false, "not enough audio yet"
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
			return res, fmt.Errorf("audio check %s: %w: %s (%d packets in)", c.callID, ErrNotHeard, res.Detail.Reason, res.Stats.PacketsIn)
		}
	}
}

// TwoWay is the outcome of checking both legs of a call.
type TwoWay struct {
	A, B AudioResult
}

// OK reports whether each leg heard the other.
func (t TwoWay) OK() bool { return t.A.Heard && t.B.Heard }

// VerifyTwoWay checks both legs of one call at once (a and b are the two
// phones' Call values, e.g. caller and callee behind a PBX). It fails unless
// each leg hears the other's tone before ctx ends.
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
