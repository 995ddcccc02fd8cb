package sim

import (
	"bytes"
	"context"
	"log/slog"
	"net/netip"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"pbxlab/internal/memnet"
	"pbxlab/sim/report"
	"pbxlab/sim/scenario"
)

// mediaScenario: 6 phones that all answer at once, 8 calls of 3 s (about
// 150 RTP packets each way), audio checked; the impairment is %s.
const mediaScenario = `name: media-impairment
population: {count: 6, first: "100", password: "pw{n}", register_expires: 60s, impairment: IMPAIRMENT}
behaviours: {answer: 100}
answer_delay: 50ms
calls: {rate: 4, hold: 3s, duration: 2s, max_concurrent: 10, ring_timeout: 2s}
audio: {verify: true}
seed: 7
`

// runMedia runs mediaScenario with impairment against a forwarding proxy
// (phones send their RTP to each other) and returns the report and the
// run's log.
func runMedia(t *testing.T, impairment string) (*report.Report, string) {
	t.Helper()
	pbx := newFakePBX(t)
	sc, err := scenario.Parse("media.yaml", []byte(strings.Replace(mediaScenario, "IMPAIRMENT", impairment, 1)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	rep, err := Run(ctx, sc, Target{Addr: pbx.addr}, WithLocalIP(netip.MustParseAddr("127.0.0.1")), WithLogger(log))
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if rep.Calls.Answered == 0 || rep.Calls.Unexpected != 0 || rep.Quality.Streams != 2*rep.Calls.Answered {
		t.Fatalf("calls %+v, quality %+v: want answered calls with two measured streams each", rep.Calls, rep.Quality)
	}
	return rep, logs.String()
}

// TestMediaImpairmentLoss: 5 % loss on the media each way. The phones
// send RTP to each other, so a packet crosses two impaired sockets (the
// sender's, going out, and the receiver's, coming in): the measured loss
// is 1-(0.95)² = 9.75 %, within the binomial spread of some 2,400
// packets. The tone still gets through, and the signalling (applies_to:
// [media]) is untouched. Without the media impairment the measured loss
// is 0 on loopback.
func TestMediaImpairmentLoss(t *testing.T) {
	checkLeaks(t)
	rep, logs := runMedia(t, `{loss: 5%, applies_to: [media]}`)
	q := rep.Quality
	t.Logf("quality %+v audio %+v", q, rep.Audio)
	if q.LossMean < 6.5 || q.LossMean > 13 {
		t.Errorf("mean measured loss %.2f %%, want about 9.75 %% (5 %% at each of two sockets)", q.LossMean)
	}
	if q.MOSP50 >= 4.3 {
		t.Errorf("median MOS %.2f: loss should lower it", q.MOSP50)
	}
	if rep.Audio.Checked == 0 || rep.Audio.Verified != rep.Audio.Checked {
		t.Errorf("audio %+v: the tone should be heard through 10 %% loss", rep.Audio)
	}
	if !strings.Contains(logs, `msg="media impairment"`) || strings.Contains(logs, `msg=impairment `) {
		t.Errorf("want the media impairment logged and no signalling impairment:\n%s", logs)
	}
}

// TestMediaImpairmentSeededVirtual runs the loss scenario twice on an
// in-memory network in virtual time (signalling and RTP on memnet): each
// stream draws its fate from the seed, the phone and the stream's index,
// so the same seed gives exactly the same measured loss; another seed
// gives another.
func TestMediaImpairmentSeededVirtual(t *testing.T) {
	run := func(seed string) report.Quality {
		q := runMediaVirtual(t, `{loss: 5%, applies_to: [media]}`, seed)
		t.Logf("seed %s: quality %+v", seed, q)
		return q
	}
	a, b, c := run("7"), run("7"), run("8")
	if a.LossMean != b.LossMean || a.LossMax != b.LossMax {
		t.Errorf("seed 7 twice: mean loss %v then %v, max %v then %v; want the same", a.LossMean, b.LossMean, a.LossMax, b.LossMax)
	}
	if a.LossMean == c.LossMean {
		t.Errorf("seeds 7 and 8 both measured %v mean loss; want different fates", a.LossMean)
	}
	if a.LossMean < 6.5 || a.LossMean > 13 {
		t.Errorf("mean measured loss %.2f %%, want about 9.75 %%", a.LossMean)
	}
}

// runMediaVirtual runs mediaScenario with impairment and seed on an
// in-memory network in virtual time, signalling and RTP, and returns the
// report's quality figures.
func runMediaVirtual(t *testing.T, impairment, seed string) report.Quality {
	t.Helper()
	var q report.Quality
	synctest.Test(t, func(t *testing.T) {
		nw := memnet.New()
		pbx := newFakePBXOn(t, nw.ListenPacket)
		y := strings.Replace(mediaScenario, "IMPAIRMENT", impairment, 1)
		y = strings.Replace(y, "seed: 7", "seed: "+seed, 1)
		// the hangup between two packets: none is sent at the instant the call ends
		y = strings.Replace(y, "hold: 3s", "hold: 3005ms", 1)
		sc, err := scenario.Parse("media.yaml", []byte(y))
		if err != nil {
			t.Fatal(err)
		}
		rep, err := Run(t.Context(), sc, Target{Addr: pbx.addr}, WithLocalIP(netip.MustParseAddr("127.0.0.1")),
			WithPacketListener(nw.ListenPacket), WithMediaListener(nw.ListenPacket))
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		if rep.Quality.Streams != 2*rep.Calls.Answered || rep.Audio.Verified != rep.Audio.Checked {
			t.Fatalf("calls %+v quality %+v audio %+v", rep.Calls, rep.Quality, rep.Audio)
		}
		q = rep.Quality
	})
	return q
}

// TestMediaImpairmentJitterVirtual: in virtual time the network adds
// nothing, so what the report measures is the impairment alone: 0 jitter
// and 0 delay without it; with 40 ms ± 20 ms at each of the two sockets a
// packet crosses, a one-way delay of 80 ms (median, within the jitter)
// and a jitter of several ms, the tone still heard.
func TestMediaImpairmentJitterVirtual(t *testing.T) {
	// (no loss on the signalling in virtual time: a lost ACK can stall the
	// bubble, scenarios/README.md)
	clean := runMediaVirtual(t, `{delay: 10ms, applies_to: [signalling]}`, "7")
	if clean.Jitter.P50 != 0 || clean.Delay.P50 != 0 || clean.LossMean != 0 {
		t.Fatalf("media not impaired (applies_to: [signalling]): quality %+v, want no jitter, delay or loss", clean)
	}
	q := runMediaVirtual(t, `{delay: 40ms, jitter: 20ms, applies_to: [media]}`, "7")
	t.Logf("jitter p50 %v p95 %v, delay p50 %v p95 %v, loss mean %.2f %%", q.Jitter.P50, q.Jitter.P95, q.Delay.P50, q.Delay.P95, q.LossMean)
	if q.Jitter.P50 < 5*time.Millisecond || q.Jitter.P50 > 40*time.Millisecond {
		t.Errorf("median jitter %v, want several ms from ±20 ms at each socket", q.Jitter.P50)
	}
	if q.Delay.P50 < 60*time.Millisecond || q.Delay.P50 > 100*time.Millisecond {
		t.Errorf("median one-way delay %v, want about 80 ms (40 ms at each socket)", q.Delay.P50)
	}
}
