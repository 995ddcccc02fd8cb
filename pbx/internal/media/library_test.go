package media

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"pbxlab/internal/tone"
)

// writeWAV writes samples as a PCM16 WAV at path.
func writeWAV(t *testing.T, path string, samples []int16) {
	t.Helper()
	w, err := CreateWAV(path)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(samples)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestBuiltinPrompts(t *testing.T) {
	l, err := NewLibrary(LibraryConfig{})
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	entries, err := fs.ReadDir(promptFiles, "prompts")
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, e := range entries {
		info, _ := e.Info()
		total += info.Size()
		files = append(files, strings.TrimSuffix(e.Name(), ".wav"))
	}
	if !slices.Equal(files, BuiltinPromptIDs()) {
		t.Fatalf("prompt files %v, built-in IDs %v", files, BuiltinPromptIDs())
	}
	if total > 1<<20 {
		t.Fatalf("the default prompts weigh %d bytes, keep them under 1 MiB", total)
	}
	for _, id := range BuiltinPromptIDs() {
		c, err := l.Clip(id)
		if err != nil {
			t.Fatal(err)
		}
		// Spoken audio: at least a syllable, at most 10 s, clearly audible.
		if c.Duration() < 250*time.Millisecond || c.Duration() > 10*time.Second {
			t.Errorf("%s lasts %v", id, c.Duration())
		}
		if rms := tone.RMS(c.Samples()); rms < 0.03 {
			t.Errorf("%s RMS %.3f: too quiet", id, rms)
		}
	}
	if !slices.Equal(l.IDs(), BuiltinPromptIDs()) {
		t.Fatalf("IDs %v", l.IDs())
	}
}

func TestLibraryConfigured(t *testing.T) {
	dir := t.TempDir()
	welcome := testTone()
	writeWAV(t, filepath.Join(dir, "welcome.wav"), welcome)
	if err := os.MkdirAll(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeWAV(t, filepath.Join(dir, "sub", "vacant.wav"), ramp(1, 100))
	l, err := NewLibrary(LibraryConfig{Dir: dir, IDs: map[string]string{"12": "welcome.wav", PromptVacantNumber: "sub/vacant.wav"}})
	if err != nil {
		t.Fatal(err)
	}
	src, err := l.Source("12")
	if err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, src, FrameSamples, 1<<20); !slices.Equal(got, welcome) {
		t.Fatal("media ID 12 does not play welcome.wav")
	}
	// The configured file replaces the built-in prompt.
	c, _ := l.Clip(PromptVacantNumber)
	if !slices.Equal(c.Samples(), ramp(1, 100)) {
		t.Fatal("configured vacant-number does not replace the built-in one")
	}
	if !l.Has("12") || l.Has("13") {
		t.Fatal("Has")
	}
	if _, err := l.Source("13"); !errors.Is(err, ErrMediaID) {
		t.Fatalf("unknown ID: %v", err)
	}
}

// TestLibraryErrors: every bad entry is reported at start, each error naming
// the media ID and the file.
func TestLibraryErrors(t *testing.T) {
	dir := t.TempDir()
	writeWAV(t, filepath.Join(dir, "ok.wav"), ramp(1, 10))
	if err := os.WriteFile(filepath.Join(dir, "text.wav"), []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "stereo.wav"), wavBytes(-1, fmtChunk(WAVPCM, 2, 8000, 16), chunk("data", make([]byte, 8))), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "folder.wav"), 0o755); err != nil {
		t.Fatal(err)
	}
	outside := filepath.Join(t.TempDir(), "outside.wav")
	writeWAV(t, outside, ramp(1, 10))
	if err := os.Symlink(outside, filepath.Join(dir, "link.wav")); err != nil {
		t.Fatal(err)
	}
	cfg := LibraryConfig{Dir: dir, IDs: map[string]string{
		"1": "ok.wav", "2": "missing.wav", "3": "text.wav", "4": "stereo.wav", "5": "folder.wav",
		"6": "../ok.wav", "7": "/etc/passwd", "8": "link.wav", "": "ok.wav",
	}}
	_, err := NewLibrary(cfg)
	if err == nil {
		t.Fatal("bad library loaded")
	}
	for id, want := range map[string]error{
		"2": fs.ErrNotExist, "3": ErrNotWAV, "4": ErrWAVFormat, "5": ErrNotWAV,
		"6": ErrLibraryConfig, "7": ErrLibraryConfig, "": ErrLibraryConfig,
	} {
		if !errors.Is(err, want) {
			t.Errorf("media ID %q: %v not in %v", id, want, err)
		}
		if !strings.Contains(err.Error(), "load media ID \""+id+"\" (file ") {
			t.Errorf("media ID %q not named in %v", id, err)
		}
	}
	for _, name := range []string{"missing.wav", "text.wav", "stereo.wav", "folder.wav", "link.wav"} {
		if !strings.Contains(err.Error(), filepath.Join(dir, name)) {
			t.Errorf("file %s not named in %v", name, err)
		}
	}
	if strings.Contains(err.Error(), `"1"`) {
		t.Errorf("the good file is reported: %v", err)
	}

	if _, err := NewLibrary(LibraryConfig{IDs: map[string]string{"1": "ok.wav"}}); !errors.Is(err, ErrLibraryConfig) {
		t.Errorf("IDs without dir: %v", err)
	}
	if _, err := NewLibrary(LibraryConfig{Dir: filepath.Join(dir, "nope"), IDs: map[string]string{"1": "ok.wav"}}); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing dir: %v", err)
	}
	if _, err := NewLibrary(LibraryConfig{Dir: dir, IDs: map[string]string{"1": "ok.wav"}, MaxFileBytes: 10}); !errors.Is(err, ErrWAVTooLarge) {
		t.Errorf("size limit: %v", err)
	}
	if _, err := NewLibrary(LibraryConfig{MOH: "99"}); !errors.Is(err, ErrMediaID) {
		t.Errorf("unknown MOH: %v", err)
	}
}

// TestMusicOnHold: the default is the synthesized tune, looping, whose
// notes Goertzel finds one by one; a media ID replaces it.
func TestMusicOnHold(t *testing.T) {
	l, err := NewLibrary(LibraryConfig{})
	if err != nil {
		t.Fatal(err)
	}
	tune := MusicOnHoldTune()
	var period time.Duration
	for _, n := range tune {
		period += n.Duration
	}
	got := readAll(t, l.MusicOnHold(), FrameSamples, 2*Samples(period)+1)
	if len(got) < 2*Samples(period) {
		t.Fatalf("music on hold ended after %d samples", len(got))
	}
	at := Samples(period) // the second pass: the loop restarted cleanly
	for i, n := range tune {
		k := Samples(n.Duration)
		block := got[at+k/4 : at+3*k/4] // the note's middle: its envelope varies least
		at += k
		if n.Freq == 0 {
			continue
		}
		f, ok := tone.Dominant(block, SampleRate, append(MusicOnHoldFreqs(), 350, 440, 450, 480, 620))
		if !ok || f != n.Freq {
			t.Fatalf("note %d: dominant %v (clear %v), want %v", i, f, ok, n.Freq)
		}
	}
	dir := t.TempDir()
	writeWAV(t, filepath.Join(dir, "moh.wav"), ramp(1, 300))
	l, err = NewLibrary(LibraryConfig{Dir: dir, IDs: map[string]string{"30": "moh.wav"}, MOH: "30"})
	if err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, l.MusicOnHold(), FrameSamples, 900); got[300] != 1 || got[299] != 300 {
		t.Fatal("configured music on hold does not loop the media ID")
	}
}

func TestNewMessages(t *testing.T) {
	l, err := NewLibrary(LibraryConfig{})
	if err != nil {
		t.Fatal(err)
	}
	length := func(ids ...string) int {
		n := 0
		for _, id := range ids {
			c, err := l.Clip(id)
			if err != nil {
				t.Fatal(err)
			}
			n += c.Len()
		}
		return n
	}
	for _, tc := range []struct {
		n   int
		ids []string
	}{
		{0, []string{PromptYouHave, PromptNo, PromptNewMessages}},
		{-3, []string{PromptYouHave, PromptNo, PromptNewMessages}},
		{1, []string{PromptYouHave, "digit-1", PromptNewMessage}},
		{7, []string{PromptYouHave, "digit-7", PromptNewMessages}},
		{12, []string{PromptYouHave, "digit-1", "digit-2", PromptNewMessages}},
	} {
		src, err := l.NewMessages(tc.n)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := len(readAll(t, src, FrameSamples, 1<<22)), length(tc.ids...); got != want {
			t.Errorf("%d new messages: %d samples, want %d (%v)", tc.n, got, want, tc.ids)
		}
	}
	if _, err := l.Sequence(PromptGoodbye, "nope"); !errors.Is(err, ErrMediaID) {
		t.Fatalf("Sequence with an unknown ID: %v", err)
	}
}
