package conformance

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"pbxlab/pbx"
	"pbxlab/pbx/config"
	"pbxlab/pbx/pbxtest"
)

// tortureConfig is a PBX with subscribers that need digest authentication
// and no trusted peer, so every INVITE that passes validation is challenged
// (407) and every REGISTER gets 401. pbxtest replaces the listen addresses
// with udp and tcp on 127.0.0.1:0.
const tortureConfig = `
sip:
  user_agent: pbxlab-conformance
subscribers:
  - number: "2000"
    contacts: ["sip:2000@127.0.0.1:9"]
subscriber_ranges:
  - from: "1000"
    to: "1099"
    password: "pw{n}"
`

// TestTortureUDPAndTCP sends every RFC 4475 and RFC 5118 message to an
// in-process PBX over UDP and over TCP and checks each answer against
// Expectations, then that the PBX still answers OPTIONS, that no handler
// panicked, that it shuts down cleanly, and that no goroutine is left.
func TestTortureUDPAndTCP(t *testing.T) {
	checkGoroutines(t) // registered first: its cleanup runs after the PBX is closed
	msgs := loadAll(t)
	cfg, err := config.Parse("torture.yaml", []byte(tortureConfig))
	if err != nil {
		t.Fatal(err)
	}
	logs := &panicRecorder{}
	in, err := pbxtest.Start(cfg, pbxtest.Options{Dir: t.TempDir(), PBX: []pbx.Option{pbx.WithLogger(slog.New(logs))}})
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	t.Cleanup(func() {
		if !closed {
			_ = in.Close()
		}
	})

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	rep, err := Run(ctx, Target{UDP: in.UDP.String(), TCP: in.TCP.String()}, msgs, WithTimeout(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	_ = rep.WriteText(&text)
	t.Logf("torture report (PBX udp %s tcp %s):\n%s", in.UDP, in.TCP, text.String())

	if got, want := len(rep.Results), 2*len(msgs); got != want {
		t.Errorf("%d results, want %d", got, want)
	}
	for _, f := range rep.Failures() {
		t.Errorf("%s/%s over %s: %s [why: %s]", f.Corpus, f.Name, f.Transport, f.Problem, f.Expected.Reason)
	}
	if err := rep.Alive(); err != nil {
		t.Errorf("PBX no longer answers after the torture messages: %v", err)
	}
	// Against the RFC's table (what `pbxlab conform --torture` checks with
	// a profile choosing "rfc"), pbxlab fails only where its own table
	// documents a deviation.
	against := 0
	for _, r := range rep.Results {
		if p := r.RFC.Check(r.Outcome); p != "" {
			against++
			if r.Expected.Deviation == "" {
				t.Errorf("%s/%s over %s: the RFC's answer is %s, pbxlab answered %s, and pbxlab's table documents no deviation",
					r.Corpus, r.Name, r.Transport, r.RFC, r.Outcome.Summary())
			}
		}
	}
	if against == 0 {
		t.Error("pbxlab meets every RFC answer, yet its table documents deviations: update Expectations")
	}
	t.Logf("%d results differ from the RFC's answer, each a documented deviation", against)
	if p := logs.panics(); len(p) > 0 {
		t.Errorf("handler panics: %v", p)
	}
	closed = true
	if err := in.Close(); err != nil {
		t.Errorf("close PBX: %v", err)
	}
}

// panicRecorder is a slog handler that keeps the log records that report a
// recovered panic.
type panicRecorder struct {
	mu  sync.Mutex
	got []string
}

func (h *panicRecorder) Enabled(context.Context, slog.Level) bool { return true }

func (h *panicRecorder) Handle(_ context.Context, r slog.Record) error {
	if !strings.Contains(strings.ToLower(r.Message), "panic") {
		return nil
	}
	var b strings.Builder
	b.WriteString(r.Message)
	r.Attrs(func(a slog.Attr) bool {
		if a.Key != "stack" {
			b.WriteString(" " + a.String())
		}
		return true
	})
	h.mu.Lock()
	h.got = append(h.got, b.String())
	h.mu.Unlock()
	return nil
}

func (h *panicRecorder) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *panicRecorder) WithGroup(string) slog.Handler      { return h }

func (h *panicRecorder) panics() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.got...)
}
