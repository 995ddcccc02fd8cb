package carrier

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"testing"
	"time"

	"pbxlab/internal/leakcheck"
	"pbxlab/internal/sipstack"
	"pbxlab/sim/phone"
)

func TestMain(m *testing.M) {
	if os.Getenv("SIPDEBUG") != "" {
		slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})))
	}
	if err := sipstack.Setup(sipstack.Defaults()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

var loopback = netip.MustParseAddr("127.0.0.1")

func testCtx(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// newCarrier starts a carrier on a free port with account trunk/secret.
func newCarrier(t *testing.T, cfg Config, opts ...Option) *Carrier {
	t.Helper()
	leakcheck.Check(t)
	if cfg.Accounts == nil {
		cfg.Accounts = []Account{{Username: "trunk", Password: "secret"}}
	}
	cfg.LocalIP = loopback
	if os.Getenv("SIPDEBUG") != "" {
		opts = append(opts, WithLogger(slog.Default()))
	}
	c, err := New(cfg, opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return c
}

// newPBX is the far end: a phone Agent aimed at the carrier, standing in
// for the PBX's trunk side.
func newPBX(t *testing.T, c *Carrier, opts ...phone.Option) *phone.Agent {
	t.Helper()
	a, err := phone.NewAgent(phone.Config{LocalIP: loopback, Target: c.Addr().String(), Domain: c.Domain()}, opts...)
	if err != nil {
		t.Fatalf("NewAgent: %v", err)
	}
	t.Cleanup(func() {
		if err := a.Close(); err != nil {
			t.Errorf("Close agent: %v", err)
		}
	})
	return a
}

func newPhone(t *testing.T, a *phone.Agent, cfg phone.PhoneConfig) *phone.Phone {
	t.Helper()
	p, err := a.NewPhone(cfg)
	if err != nil {
		t.Fatalf("NewPhone %s: %v", cfg.Number, err)
	}
	return p
}
