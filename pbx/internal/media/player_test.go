package media

import (
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/zaf/g711"

	"pbxlab/internal/clock"
	"pbxlab/internal/memnet"
	"pbxlab/internal/tone"
)

// heard receives n RTP packets on p and returns their headers and their
// G.711 audio decoded (PCMU or PCMA by payload type).
func heard(t *testing.T, p *phoneSock, n int) ([]rtpHeader, []int16) {
	t.Helper()
	var (
		hs  []rtpHeader
		out []int16
	)
	for range n {
		b, _ := p.recv()
		h, ok := parseRTP(b)
		if !ok {
			t.Fatalf("not RTP: %x", b)
		}
		hs = append(hs, h)
		for _, c := range b[h.off:h.end] {
			if h.pt == 8 {
				out = append(out, g711.DecodeAlawFrame(c))
			} else {
				out = append(out, g711.DecodeUlawFrame(c))
			}
		}
	}
	return hs, out
}

// dominant is the frequency of candidates that clearly carries the audio
// (0 when none does).
func dominant(samples []int16, candidates ...float64) float64 {
	f, ok := tone.Dominant(samples, SampleRate, candidates)
	if !ok {
		return 0
	}
	return f
}

// hears reports whether samples carry every one of freqs and none of
// reject.
func hears(samples []int16, freqs []float64, reject ...float64) bool {
	return tone.NewDetector(tone.Config{Freqs: freqs, Reject: reject}).Analyse(samples).Present
}

// endpointFacing is an endpoint on nw at pbx facing a phone at phone that
// takes codec.
func endpointFacing(t *testing.T, nw *memnet.Network, pbx, phone string, codec ...any) *Endpoint {
	t.Helper()
	ep := NewEndpoint(pbx, memPair(t, nw, netip.MustParseAddrPort(pbx)))
	t.Cleanup(func() { _ = ep.Close() })
	m := legMedia(netip.MustParseAddrPort(phone), pcmu)
	if len(codec) > 0 {
		m = legMedia(netip.MustParseAddrPort(phone), pcma)
	}
	ep.SetLeg(m)
	return ep
}

func cnTone(t *testing.T, kind ToneKind) Source {
	t.Helper()
	p, err := TonePlanByName("cn")
	if err != nil {
		t.Fatal(err)
	}
	s, err := p.Tone(kind)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestPlayerPlaysToneThenEnds: a 400 ms tone reaches the phone as one RTP
// stream of 20 ms A-law frames (one SSRC, consecutive sequence numbers,
// timestamps 160 apart, marker on the first) carrying 450 Hz and nothing
// at the other plan's frequencies; done then runs with nil and the pacer
// stops.
func TestPlayerPlaysToneThenEnds(t *testing.T) {
	nw := memnet.New()
	ph := listenPhone(t, nw, "10.0.0.1:4000")
	ep := endpointFacing(t, nw, "127.0.0.1:20000", "10.0.0.1:4000", "pcma")
	pc := NewPacer(clock.New())
	defer pc.Close()
	done := make(chan error, 1)
	pc.Play(ep, Limit(cnTone(t, ToneDial), 400*time.Millisecond), func(err error) { done <- err })
	if !ep.override.Load() {
		t.Fatal("the endpoint relays while a player plays to it")
	}
	hs, audio := heard(t, ph, 20)
	for i, h := range hs {
		if h.pt != 8 || h.ssrc != hs[0].ssrc || h.seq != hs[0].seq+uint16(i) || h.ts != hs[0].ts+uint32(i*FrameSamples) || h.marker != (i == 0) || h.end-h.off != FrameSamples {
			t.Fatalf("packet %d: %+v (first %+v)", i, h, hs[0])
		}
	}
	if f := dominant(audio, 450, 480, 620, 350, 440); f != 450 {
		t.Fatalf("the phone heard %g Hz, want the CN dial tone's 450 Hz", f)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("done(%v), want nil at the end of the source", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the player never ended")
	}
	if pc.Active() != 0 || ep.override.Load() {
		t.Fatalf("after the end: %d players active, override %v", pc.Active(), ep.override.Load())
	}
}

// TestPlayersShareOnePacer: two endpoints each hear their own player's
// tone and not the other's; Stop ends one (done gets ErrClosed) while the
// other plays on; Close ends the rest.
func TestPlayersShareOnePacer(t *testing.T) {
	nw := memnet.New()
	pa := listenPhone(t, nw, "10.0.0.1:4000")
	pb := listenPhone(t, nw, "10.0.0.2:5000")
	a := endpointFacing(t, nw, "127.0.0.1:20000", "10.0.0.1:4000")
	b := endpointFacing(t, nw, "127.0.0.1:20002", "10.0.0.2:5000")
	pc := NewPacer(clock.New())
	doneA, doneB := make(chan error, 1), make(chan error, 1)
	us, err := TonePlanByName("us")
	if err != nil {
		t.Fatal(err)
	}
	usDial, _ := us.Tone(ToneDial) // 350+440 Hz
	pa1 := pc.Play(a, cnTone(t, ToneDial), func(err error) { doneA <- err })
	pc.Play(b, usDial, func(err error) { doneB <- err })
	_, audioA := heard(t, pa, 10)
	_, audioB := heard(t, pb, 10)
	if f := dominant(audioA, 450, 350, 440); f != 450 {
		t.Fatalf("a heard %g Hz, want 450", f)
	}
	if !hears(audioB, []float64{350, 440}, 450) {
		t.Fatal("b did not hear the US dial tone (350+440 Hz) alone")
	}
	pa1.Stop()
	if err := <-doneA; !errors.Is(err, ErrClosed) {
		t.Fatalf("stopped player: done(%v), want ErrClosed", err)
	}
	if pc.Active() != 1 {
		t.Fatalf("%d players active after one stopped, want 1", pc.Active())
	}
	pc.Close()
	if err := <-doneB; !errors.Is(err, ErrClosed) {
		t.Fatalf("closed pacer: done(%v), want ErrClosed", err)
	}
	late := make(chan error, 1)
	pc.Play(a, cnTone(t, ToneBusy), func(err error) { late <- err })
	if err := <-late; !errors.Is(err, ErrClosed) {
		t.Fatalf("play on a closed pacer: done(%v), want ErrClosed", err)
	}
}
