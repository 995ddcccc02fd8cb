package pbx_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"pbxlab/internal/sipstack"
	"pbxlab/pbx"
	"pbxlab/pbx/config"
	"pbxlab/pbx/pbxtest"
)

// TestMain sets sipgo's process-wide settings up once, as every pbxlab
// entry point does (see internal/sipstack).
func TestMain(m *testing.M) {
	if err := sipstack.Setup(sipstack.Defaults()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

// TestPBXKeepsTheProcessSipgoSettings: a PBX whose sip.t1/t2/t4 are not the
// process's does not change sipgo's settings (another caller chose them),
// and says so in its log.
func TestPBXKeepsTheProcessSipgoSettings(t *testing.T) {
	before, ok := sipstack.Current()
	if !ok {
		t.Fatal("TestMain did not set sipgo up")
	}
	var logs syncBuffer
	cfg := config.Demo()
	cfg.SIP.T1, cfg.SIP.T2, cfg.SIP.T4 = 250*time.Millisecond, 2*time.Second, 3*time.Second
	in, err := pbxtest.Start(cfg, pbxtest.Options{PBX: []pbx.Option{pbx.WithLogger(slog.New(slog.NewTextHandler(&logs, nil)))}})
	if err != nil {
		t.Fatal(err)
	}
	if err := in.Close(); err != nil {
		t.Fatal(err)
	}
	if after, _ := sipstack.Current(); after != before {
		t.Errorf("pbx.New changed sipgo's settings from %s to %s", before, after)
	}
	if !strings.Contains(logs.String(), "sip.t1/t2/t4 differ from the process's sipgo transaction timers") {
		t.Errorf("no warning in the log:\n%s", logs.String())
	}
	if want := pbx.StackSettings(cfg); want.T1 != cfg.SIP.T1 || want.T2 != cfg.SIP.T2 || want.T4 != cfg.SIP.T4 {
		t.Errorf("StackSettings = %s, want the configured timers", want)
	}
}

// syncBuffer is a bytes.Buffer safe for the PBX's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
