package sim

import (
	"bytes"
	"io"
	"log/slog"
	"strings"
	"testing"
)

func TestCallLogAttributes(t *testing.T) {
	var buf bytes.Buffer
	base := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	l := newCallLog(base, "caller", "1000", "callee", "9000")
	if l.debugEnabled() {
		t.Fatal("debug enabled on an info logger")
	}
	l.Debug("hidden")
	if buf.Len() != 0 {
		t.Fatalf("debug record written at info level: %q", buf.String())
	}
	l.Info("dial failed", "error", "boom")
	l.Info("again")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 records, got %q", buf.String())
	}
	for _, want := range []string{"msg=\"dial failed\" caller=1000 callee=9000 error=boom", "msg=again caller=1000 callee=9000"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("log %q lacks %q", buf.String(), want)
		}
	}
}

// BenchmarkCallLogger is the logger of a call that logs nothing (every
// answered call at info level): slog's With (formats the attributes at
// once) against callLog (formats them on first use).
func BenchmarkCallLogger(b *testing.B) {
	base := slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}))
	b.Run("with", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			l := base.With("caller", "1000", "callee", "9000", "remote", true)
			l.Debug("call done", "code", 200)
		}
	})
	b.Run("lazy", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			l := newCallLog(base, "caller", "1000", "callee", "9000", "remote", true)
			if l.debugEnabled() {
				l.Debug("call done", "code", 200)
			}
		}
	})
}
