package phone

import (
	"context"
	"log/slog"
	"net/netip"
	"os"
	"pbxlab/internal/leakcheck"
	"strings"
	"testing"
	"time"
)

var loopback = netip.MustParseAddr("127.0.0.1")

// checkLeaks fails t if goroutines outlive it (see internal/leakcheck).
func checkLeaks(t *testing.T) { t.Helper(); leakcheck.Check(t) }

func testCtx(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func newTestAgent(t *testing.T, cfg Config, opts ...Option) *Agent {
	t.Helper()
	if !cfg.LocalIP.IsValid() {
		cfg.LocalIP = loopback
	}
	if os.Getenv("SIPDEBUG") != "" {
		opts = append(opts, WithLogger(slog.Default()))
	}
	a, err := NewAgent(cfg, opts...)
	if err != nil {
		t.Fatalf("NewAgent: %v", err)
	}
	t.Cleanup(func() {
		if err := a.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return a
}

func newTestPhone(t *testing.T, a *Agent, cfg PhoneConfig) *Phone {
	t.Helper()
	p, err := a.NewPhone(cfg)
	if err != nil {
		t.Fatalf("NewPhone %s: %v", cfg.Number, err)
	}
	return p
}

// incoming waits for the n-th (1-based) incoming call delivered on ch.
func incoming(t *testing.T, ctx context.Context, ch <-chan *Call) *Call {
	t.Helper()
	select {
	case c := <-ch:
		return c
	case <-ctx.Done():
		t.Fatal("no incoming call")
		return nil
	}
}

// callee makes a phone that reports its incoming calls on the returned channel.
func callee(t *testing.T, a *Agent, number string, mode AnswerMode) (*Phone, <-chan *Call) {
	t.Helper()
	ch := make(chan *Call, 8)
	p := newTestPhone(t, a, PhoneConfig{Number: number, Answer: mode, OnIncoming: func(c *Call) { ch <- c }})
	return p, ch
}

func wantEnd(t *testing.T, who string, got End, by Party, reason Reason, code int) {
	t.Helper()
	if got.By != by || got.Reason != reason || got.Code != code {
		t.Errorf("%s ended %+v, want by %s reason %s code %d", who, got, by, reason, code)
	}
}

// answered has a dial b directly and returns both legs once b answered.
func answered(t *testing.T, ctx context.Context, a, b *Phone, inc <-chan *Call) (out, in *Call) {
	t.Helper()
	out, err := a.DialURI(ctx, b.Contact())
	if err != nil {
		t.Fatal(err)
	}
	if err := out.WaitAnswer(ctx); err != nil {
		t.Fatalf("WaitAnswer: %v", err)
	}
	return out, incoming(t, ctx, inc)
}

func containsCode(codes []int, want int) bool {
	for _, c := range codes {
		if c == want {
			return true
		}
	}
	return false
}

func mustContain(t *testing.T, s, sub string) {
	t.Helper()
	if !strings.Contains(s, sub) {
		t.Fatalf("%q does not contain %q", s, sub)
	}
}
