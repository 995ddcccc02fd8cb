package voicemail

import (
	"path"
	"testing"
	"time"

	"pbxlab/internal/clock"
)

func TestMessageFileNames(t *testing.T) {
	s := &Service{clock: clock.New()}
	at := time.Date(2026, 12, 6, 3, 4, 5, 123456789, time.UTC)
	f := s.newMessageFile("1001", "+33 1-23/..", at)
	dir, name := path.Split(f)
	if dir != "1001/" {
		t.Errorf("folder %q", dir)
	}
	got, caller, ok := parseMessageFile(name)
	if !ok || !got.Equal(at) || caller != "+33123.." {
		t.Errorf("parse %q: %s %q %v", name, got, caller, ok)
	}
	for _, bad := range []string{"greeting.wav", "msg-x.wav", "msg-20261206T030405.000000000-ab.wav", "msg-2026-ab-c.mp3"} {
		if _, _, ok := parseMessageFile(bad); ok {
			t.Errorf("%q parsed", bad)
		}
	}
}

// FuzzMessageFileName: names read from the mailbox folder (anything an
// operator left there) never panic the parser, and a caller written by
// newMessageFile reads back as written (its file-safe form).
func FuzzMessageFileName(f *testing.F) {
	f.Add("msg-20261206T030405.000000000-0a0b0c0d-1000.wav", "1000")
	f.Add("msg--.wav", "")
	f.Fuzz(func(t *testing.T, name, caller string) {
		_, _, _ = parseMessageFile(name)
		s := &Service{clock: clock.New()}
		at := time.Unix(1_700_000_000, 5).UTC()
		_, file := path.Split(s.newMessageFile("1", caller, at))
		got, c, ok := parseMessageFile(file)
		if !ok || !got.Equal(at) || c != nameSafe(caller) {
			t.Fatalf("%q: %s %q %v", file, got, c, ok)
		}
	})
}
