package voicemail

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"
	"time"

	"pbxlab/internal/clock"
	"pbxlab/internal/tone"
	"pbxlab/pbx/internal/call"
	"pbxlab/pbx/internal/media"
	"pbxlab/pbx/internal/store"
)

func openDB(t *testing.T) *sql.DB {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "pbx.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func TestStore(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	s, err := OpenStore(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := OpenStore(ctx, db); err != nil { // a second open migrates nothing
		t.Fatal(err)
	}
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	add := func(caller string, at time.Time, file string) int64 {
		id, err := s.Add(ctx, Message{Mailbox: "1001", Caller: caller, At: at, Duration: 1500 * time.Millisecond, File: file})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	a := add("1000", t0, "1001/msg-a.wav")
	b := add("1002", t0.Add(time.Minute), "1001/msg-b.wav")
	if _, err := s.Add(ctx, Message{Mailbox: "1001", Caller: "x", At: t0, File: "1001/msg-a.wav"}); err == nil {
		t.Error("two rows for one file")
	}
	if c, _ := s.Counts(ctx, "1001"); c != (Counts{New: 2}) {
		t.Errorf("counts %+v, want 2 new", c)
	}
	if c, _ := s.Counts(ctx, "1009"); c != (Counts{}) {
		t.Errorf("empty mailbox counts %+v", c)
	}
	if was, err := s.MarkOld(ctx, a); err != nil || !was {
		t.Fatalf("mark old: %v %v", was, err)
	}
	if was, _ := s.MarkOld(ctx, a); was {
		t.Error("marked old twice")
	}
	ms, err := s.List(ctx, "1001")
	if err != nil || len(ms) != 2 {
		t.Fatalf("list %+v %v", ms, err)
	}
	// new first
	if ms[0].ID != b || !ms[0].New || ms[1].ID != a || ms[1].New || ms[1].Caller != "1000" || !ms[1].At.Equal(t0) || ms[1].Duration != 1500*time.Millisecond {
		t.Errorf("list order or fields %+v", ms)
	}
	if c, _ := s.Counts(ctx, "1001"); c != (Counts{New: 1, Old: 1}) {
		t.Errorf("counts %+v, want 1/1", c)
	}
	if f, err := s.Delete(ctx, a); err != nil || f != "1001/msg-a.wav" {
		t.Errorf("delete: %q %v", f, err)
	}
	if f, err := s.Delete(ctx, a); err != nil || f != "" {
		t.Errorf("delete again: %q %v", f, err)
	}
	files, err := s.Files(ctx)
	if err != nil || len(files) != 1 || !files["1001/msg-b.wav"] {
		t.Errorf("files %v %v", files, err)
	}
}

// fakeMedia is a media server that answers nothing (the service's
// start-up and store paths need none).
type fakeMedia struct{}

func (fakeMedia) Terminate(*call.Call, *call.Leg, []byte) (*media.Endpoint, []byte, error) {
	return nil, nil, media.ErrDisabled
}
func (fakeMedia) TerminateAnswer(*call.Call, *call.Leg, []byte) error { return media.ErrDisabled }
func (fakeMedia) Endpoint(*call.Call, *call.Leg) *media.Endpoint      { return nil }
func (fakeMedia) Library() *media.Library                             { return nil }
func (fakeMedia) Pacer() *media.Pacer                                 { return nil }

// TestStartRecoversInterruptedRecordings: at start, a message WAV without
// its row (the PBX stopped while recording it; the writer had flushed but
// not closed it) is filed as a new message with its caller and start from
// the file name and the duration it holds; an unreadable one and a
// half-recorded greeting are removed; filed messages, greetings and other
// files stay.
func TestStartRecoversInterruptedRecordings(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	dir := t.TempDir()
	st, err := OpenStore(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Add(ctx, Message{Mailbox: "1001", Caller: "1000", At: time.Now(), File: "1001/msg-kept.wav"}); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "1001"), 0o750); err != nil {
		t.Fatal(err)
	}
	files := map[string]bool{ // name -> survives
		"1001/msg-kept.wav":      true,
		"1001/greeting.wav":      true,
		"1001/greeting.wav.part": false,
		"1001/notes.txt":         true,
		"1001/msg-garbage.wav":   false,
	}
	for f := range files {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	svc0 := &Service{clock: clock.New()}
	at := time.Date(2026, 3, 4, 5, 6, 7, 800, time.UTC)
	crashed := svc0.newMessageFile("1001", "sip-user:10/02", at)
	files[crashed] = true
	w, err := media.CreateWAV(filepath.Join(dir, filepath.FromSlash(crashed)), media.WithFlushEvery(media.FrameSamples))
	if err != nil {
		t.Fatal(err)
	}
	w.Write(make([]int16, media.Samples(time.Second)))
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	// no Close: the PBX stopped here

	svc, err := New(ctx, Config{Dir: dir, MaxMessage: time.Minute, Idle: time.Minute}, db, fakeMedia{})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	for f, keep := range files {
		_, err := os.Stat(filepath.Join(dir, f))
		if keep != (err == nil) {
			t.Errorf("%s: exists=%v, want %v", f, err == nil, keep)
		}
	}
	ms, err := svc.Messages(ctx, "1001")
	if err != nil || len(ms) != 2 {
		t.Fatalf("messages %+v %v, want the filed one and the recovered one", ms, err)
	}
	got := ms[0] // new first
	if got.File != crashed || !got.New || got.Caller != "sipuser1002" || !got.At.Equal(at) || got.Duration != time.Second {
		t.Errorf("recovered %+v, want a new message from sipuser1002 at %s of 1s in %s", got, at, crashed)
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	db := openDB(t)
	for _, cfg := range []Config{{}, {Dir: t.TempDir(), MaxMessage: time.Minute}, {Dir: t.TempDir(), Idle: time.Minute}} {
		if _, err := New(context.Background(), cfg, db, fakeMedia{}); err == nil {
			t.Errorf("New(%+v) accepted", cfg)
		}
	}
}

// TestBeepIsTheBeep: the beep is 1 kHz for half a second.
func TestBeepIsTheBeep(t *testing.T) {
	samples, err := media.Collect(media.NewToneSource(BeepTone()), media.Samples(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if d := media.DurationOf(len(samples)); d != 500*time.Millisecond {
		t.Errorf("beep lasts %s", d)
	}
	if !tone.NewDetector(tone.Config{Freq: BeepHz}).Analyse(samples[:1600]).Present {
		t.Error("the beep is not a 1 kHz tone")
	}
	if tone.NewDetector(tone.Config{Freq: 1100}).Analyse(samples[:1600]).Present {
		t.Error("the beep carries 1100 Hz")
	}
}
