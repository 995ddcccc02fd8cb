package pbx

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRecordingName: whatever a Call-ID or a number holds (they come from
// the network), the file name stays one plain name inside recording.dir:
// no separator, no leading dot, no control or non-ASCII character, bounded.
func TestRecordingName(t *testing.T) {
	start := time.Date(2026, 12, 6, 3, 4, 5, 6e6, time.UTC)
	if got, want := recordingName(start, "1000", "1001", "a84b4c76e66710@pc33.example.com"), "20261206T030405.006Z-1000-1001-a84b4c76e66710_pc33.example.com.wav"; got != want {
		t.Errorf("name %q, want %q", got, want)
	}
	for _, id := range []string{"../../etc/passwd", "..", "/abs/path", `C:\win\x`, "a\x00b\r\nc", "ünïcødé", strings.Repeat("x", 500)} {
		name := recordingName(start, "../1000", "1001/..", id)
		if filepath.Base(name) != name || strings.ContainsAny(name, "/\\\x00\r\n") || strings.HasPrefix(name, ".") || len(name) > 200 {
			t.Errorf("call ID %q gives the file name %q", id, name)
		}
		for _, r := range name {
			if r >= 128 || r < 32 {
				t.Errorf("call ID %q gives the file name %q with %q", id, name, r)
			}
		}
		if got := filepath.Join("/rec", name); filepath.Dir(got) != "/rec" {
			t.Errorf("call ID %q lands at %s, outside the folder", id, got)
		}
	}
}

// FuzzRecordingName: any Call-ID and numbers give one plain ASCII name.
func FuzzRecordingName(f *testing.F) {
	f.Add("1000", "1001", "abc@host")
	f.Add("../x", "..", "../../etc/passwd")
	f.Add("", "", "")
	f.Fuzz(func(t *testing.T, caller, callee, id string) {
		name := recordingName(time.Unix(0, 0), caller, callee, id)
		if filepath.Base(name) != name || strings.HasPrefix(name, ".") || !strings.HasSuffix(name, ".wav") || len(name) > 200 {
			t.Fatalf("name %q", name)
		}
		for _, r := range name {
			if r >= 128 || r < 32 || r == '/' || r == '\\' {
				t.Fatalf("name %q has %q", name, r)
			}
		}
	})
}
