package progress

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"pbxlab/sim/report"
)

func TestProgressLinePastThePlannedLength(t *testing.T) {
	s := report.Snapshot{Elapsed: 65 * time.Second}
	if got := Line(s, time.Minute); !strings.HasPrefix(got, "1m5s/1m0s (winding up)") {
		t.Errorf("line %q", got)
	}
	if got := Line(s, 0); !strings.HasPrefix(got, "1m5s  0.0 calls/s") {
		t.Errorf("line without a planned length %q", got)
	}
}

func TestProgressParseMode(t *testing.T) {
	for _, tc := range []struct {
		in       string
		terminal bool
		want     Mode
		err      bool
	}{
		{"auto", true, TTY, false},
		{"auto", false, Plain, false},
		{"tty", false, TTY, false},
		{"plain", true, Plain, false},
		{"off", true, Off, false},
		{"fancy", true, "", true},
	} {
		m, err := ParseMode(tc.in)
		if (err != nil) != tc.err || (err != nil && !errors.Is(err, ErrMode)) {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		if got := m.Resolve(tc.terminal); err == nil && got != tc.want {
			t.Errorf("%s on terminal=%v: %s, want %s", tc.in, tc.terminal, got, tc.want)
		}
	}
}

// signalWriter signals every write, so the test knows a line is out.
type signalWriter struct {
	buf   bytes.Buffer
	wrote chan struct{}
}

func (w *signalWriter) Write(b []byte) (int, error) {
	n, err := w.buf.Write(b)
	w.wrote <- struct{}{}
	return n, err
}

// TestProgressLines: a terminal gets one line redrawn in place and a
// newline at the end; a log gets one line per tick, and the final state
// when the run ends.
func TestProgressLines(t *testing.T) {
	for _, tc := range []struct {
		mode   Mode
		lines  int
		writes int
	}{{TTY, 1, 4}, {Plain, 3, 3}} {
		t.Run(string(tc.mode), func(t *testing.T) {
			start := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
			now := start
			col := report.NewCollector("s", "", start)
			col.SetNow(func() time.Time { return now })
			var live report.Live
			live.Attach(col)
			out := &signalWriter{wrote: make(chan struct{}, 8)}
			tick := make(chan time.Time)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error)
			go func() { done <- Run(ctx, NewPrinter(out, tc.mode, time.Minute), &live, tick) }()
			col.Bound(1)
			col.CallStarted()
			now = now.Add(2 * time.Second)
			tick <- now
			<-out.wrote
			col.Call(report.CallOutcome{Code: 503})
			col.CallDone()
			tick <- now
			<-out.wrote
			cancel()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			if n := 2 + len(out.wrote); n != tc.writes {
				t.Errorf("%d writes, want %d", n, tc.writes)
			}
			s := out.buf.String()
			if n := strings.Count(s, "\n"); n != tc.lines {
				t.Errorf("%d lines, want %d: %q", n, tc.lines, s)
			}
			if tc.mode == TTY && strings.Count(s, "\r\x1b[2K") != 3 {
				t.Errorf("terminal output %q: want three redraws", s)
			}
			last := s[strings.LastIndex(strings.TrimSuffix(s, "\n"), "\n")+1:]
			for _, want := range []string{"2s/1m0s (58s left)", "0.5 calls/s", "in progress 0", "registered 1", "failed 1 (503×1)"} {
				if !strings.Contains(last, want) {
					t.Errorf("last line %q lacks %q", last, want)
				}
			}
		})
	}
}

// TestProgressNothingBeforeTheRun: a run that never started prints nothing.
func TestProgressNothingBeforeTheRun(t *testing.T) {
	var live report.Live
	var out bytes.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Run(ctx, NewPrinter(&out, TTY, 0), &live, nil); err != nil || out.Len() != 0 {
		t.Fatalf("Run = %v, wrote %q", err, out.String())
	}
}
