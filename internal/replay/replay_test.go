package replay_test

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/replay"
	"pbxlab/pbx/config"
)

func run(t *testing.T, cfg replay.Config) *replay.Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if cfg.Timeout == 0 {
		cfg.Timeout = 2 * time.Second
	}
	var opts []replay.Option
	if os.Getenv("REPLAY_DEBUG") != "" {
		opts = append(opts, replay.WithLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	}
	r, err := replay.New(cfg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := r.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// TestReplayEquivalent: a capture of the PBX replayed against a fresh PBX
// of the same configuration behaves the same, dialog for dialog.
func TestReplayEquivalent(t *testing.T) {
	for _, tc := range []struct {
		name    string
		capture func(t *testing.T) string
		pace    replay.Pace
		tcp     bool
		dialogs int
	}{
		{"call over UDP, fast", func(t *testing.T) string { return recordCall(t, false) }, replay.Pace{Fast: true}, false, 4},
		{"call over UDP, original pace", func(t *testing.T) string { return recordCall(t, false) }, replay.Pace{Scale: 1}, false, 4},
		{"call over TCP", func(t *testing.T) string { return recordCall(t, true) }, replay.Pace{Fast: true}, true, 4},
		{"call cancelled while ringing", recordCancel, replay.Pace{Fast: true}, false, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			capPath := tc.capture(t)
			fresh := startPBX(t, nil, "")
			target := fresh.Target()
			if tc.tcp { // pbxtest listens for TCP on another port than UDP
				target = fresh.TCP.String()
			}
			rep := run(t, replay.Config{Capture: capPath, Target: target, Pace: tc.pace, Credentials: demoCreds})
			if !rep.Equivalent() || rep.Dialogs() != tc.dialogs {
				t.Fatalf("want %d equivalent dialogs:\n%s", tc.dialogs, rep)
			}
		})
	}
}

// TestReplayDivergent: against a PBX that treats the callee differently,
// the call's dialogs are reported divergent at the first message that
// differs, the others equivalent.
func TestReplayDivergent(t *testing.T) {
	capPath := recordCall(t, false)
	fresh := startPBX(t, func(c *config.Config) { c.Services.DND.Subscribers = []string{"1001"} }, "")
	rep := run(t, replay.Config{Capture: capPath, Target: fresh.Target(), Pace: replay.Pace{Fast: true}, Credentials: demoCreds})
	t.Logf("\n%s", rep)
	if rep.Equivalent() {
		t.Fatalf("want divergent:\n%s", rep)
	}
	got := map[string]replay.Verdict{}
	for _, v := range rep.Verdicts {
		got[v.Call] = v
	}
	for _, c := range []string{"D1", "D2"} { // the REGISTERs
		if !got[c].Equivalent {
			t.Errorf("%s: want equivalent, got %+v", c, got[c])
		}
	}
	a := got["D3"] // the caller's leg: the PBX plays the DND announcement instead of ringing
	if a.Equivalent || !strings.Contains(a.Expected, "PBX -> A 180 INVITE") || !strings.Contains(a.Got, "PBX -> A 183 INVITE") {
		t.Errorf("D3: %+v, want divergent at the 180 (got 183)", a)
	}
	if b := got["D4"]; b.Equivalent || !strings.Contains(b.Expected, "PBX -> B INVITE") {
		t.Errorf("D4: %+v, want divergent: the callee's INVITE never comes", b)
	}
}

// TestReplayUnreachable: a target where nothing listens is an error
// within seconds, not a hang nor a report.
func TestReplayUnreachable(t *testing.T) {
	capPath := recordCall(t, false)
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := pc.LocalAddr().String()
	pc.Close()
	r, err := replay.New(replay.Config{Capture: capPath, Target: closed, Timeout: time.Second, Pace: replay.Pace{Fast: true}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if rep, err := r.Run(ctx); !errors.Is(err, replay.ErrUnreachable) || rep != nil {
		t.Fatalf("Run = %v, %v; want ErrUnreachable", rep, err)
	}
}

// TestReplaySilentTarget: a target that never answers is an error after
// the first timeout.
func TestReplaySilentTarget(t *testing.T) {
	silent := &recorder{answer: func(*sip.Request) []byte { return nil }}
	r, err := replay.New(replay.Config{Messages: foreignCapture(t), Target: "127.0.0.1:5999", Timeout: 200 * time.Millisecond},
		replay.WithNetwork(silent))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if rep, err := r.Run(ctx); !errors.Is(err, replay.ErrUnreachable) || rep != nil || !strings.Contains(err.Error(), "no answer") {
		t.Fatalf("Run = %v, %v; want no answer: ErrUnreachable", rep, err)
	}
}

// TestReportHTML: the page shows each divergent dialog side by side and
// both ladders, with what the capture and the target sent escaped.
func TestReportHTML(t *testing.T) {
	r, err := replay.New(replay.Config{Messages: registerCapture(t, true), Target: "127.0.0.1:5999", Timeout: time.Second, Pace: replay.Pace{Fast: true}},
		replay.WithNetwork(&recorder{}))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	rep, err := r.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := rep.WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, want := range []string{`<td class="missing">D1/t1 PBX -&gt; A 401 REGISTER challenge</td>`, `<td class="extra">D1/t1 PBX -&gt; A 200 REGISTER</td>`, "D1: divergent at step 2"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	if n := strings.Count(page, "<svg"); n != 2 {
		t.Errorf("%d ladders, want 2", n)
	}
}
