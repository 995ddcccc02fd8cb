package pbx

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"pbxlab/pbx/internal/call"
	"pbxlab/pbx/internal/media"
	"pbxlab/pbx/internal/recordings"
)

// Call recording: when a call is answered and its caller or its callee has
// subscribers[].record (such a call is always anchored, see recordsCall), its audio is written to a WAV file in
// recording.dir — mono, 8 kHz, 16-bit PCM, both directions mixed
// (media.Recording) — named <start>-<caller>-<callee>-<call id>.wav. When
// the call ends the file is closed and a row of the recordings table (same
// SQLite file as the CDRs, keyed by the CDR's call ID) records it. A call
// whose media could not be anchored (media.enabled false) is not recorded
// (a warning is logged).

// recorder holds the recordings in progress.
type recorder struct {
	store *recordings.Store
	mu    sync.Mutex
	live  map[string]*liveRecording // by call ID
}

type liveRecording struct {
	rec   *media.Recording
	wav   *media.WAVWriter
	row   recordings.Record
	close sync.Once
}

// initRecording opens the recordings table.
func (s *Server) initRecording(ctx context.Context) error {
	st, err := recordings.Open(ctx, s.db)
	if err != nil {
		return err
	}
	s.recorder = &recorder{store: st, live: map[string]*liveRecording{}}
	return nil
}

// records reports whether calls of number are recorded.
func (s *Server) records(number string) bool {
	sub, ok := s.subscriber(number)
	return ok && sub.Record
}

// recordsCall reports whether c is to be recorded (its caller or callee
// records): such a call is anchored whatever media_anchor says, since
// only anchored media can be recorded.
func (s *Server) recordsCall(c *call.Call) bool {
	return s.cfg.Recording.Dir != "" && (s.records(c.CallerNumber()) || s.records(c.CalleeNumber()))
}

// startRecording (Policy.OnAnswer, on the call's executor) starts the
// recording of an answered call whose caller or callee records.
func (s *Server) startRecording(_ context.Context, a call.Answered) {
	if s.recorder == nil || s.cfg.Recording.Dir == "" || !(s.records(a.Caller.Number) || s.records(a.Callee)) {
		return
	}
	c := a.Call
	log := c.Log().With("component", "recording")
	if err := os.MkdirAll(s.cfg.Recording.Dir, 0o750); err != nil {
		log.Warn("recording not started", "error", fmt.Errorf("recording dir %s: %w", s.cfg.Recording.Dir, err))
		return
	}
	start := s.clock.Now()
	path := filepath.Join(s.cfg.Recording.Dir, recordingName(start, a.Caller.Number, a.Callee, c.ID()))
	wav, err := media.CreateWAV(path)
	if err != nil {
		log.Warn("recording not started", "error", err)
		return
	}
	rec, err := s.media.Record(c, wav)
	if err != nil {
		_ = wav.Close()
		_ = os.Remove(path)
		log.Warn("recording not started", "error", err)
		return
	}
	lr := &liveRecording{rec: rec, wav: wav, row: recordings.Record{CallID: c.ID(), Caller: a.Caller.Number, Callee: a.Callee, File: path, Start: start}}
	s.recorder.mu.Lock()
	s.recorder.live[c.ID()] = lr
	s.recorder.mu.Unlock()
	log.Info("recording", "file", path)
}

// stopRecording (Policy.OnHangup) closes the call's file and records it.
func (s *Server) stopRecording(ctx context.Context, e call.Ended) {
	if s.recorder == nil {
		return
	}
	s.recorder.mu.Lock()
	lr := s.recorder.live[e.Record.CallID]
	delete(s.recorder.live, e.Record.CallID)
	s.recorder.mu.Unlock()
	if lr != nil {
		s.finishRecording(ctx, lr)
	}
}

// finishRecording stops lr, closes its file and adds its row, once.
func (s *Server) finishRecording(ctx context.Context, lr *liveRecording) {
	lr.close.Do(func() {
		_ = lr.rec.Stop()
		lr.row.Samples = lr.wav.Samples()
		if err := lr.wav.Close(); err != nil {
			s.log.Warn("recording: close file", "file", lr.row.File, "error", err)
		}
		lr.row.End = s.clock.Now()
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if _, err := s.recorder.store.Add(ctx, lr.row); err != nil {
			s.log.Warn("recording: add row", "file", lr.row.File, "error", err)
		}
	})
}

// closeRecordings ends the recordings still running (Close).
func (s *Server) closeRecordings() {
	if s.recorder == nil {
		return
	}
	s.recorder.mu.Lock()
	live := s.recorder.live
	s.recorder.live = map[string]*liveRecording{}
	s.recorder.mu.Unlock()
	for _, lr := range live {
		s.finishRecording(context.Background(), lr)
	}
}

// recordingName is a file name safe on any file system: the start time,
// the parties and the call ID, with anything but letters, digits, '.', '-'
// and '_' replaced by '_', the call ID cut to 64 characters.
func recordingName(start time.Time, caller, callee, callID string) string {
	clean := func(s string, n int) string {
		s = strings.Map(func(r rune) rune {
			if r < 128 && (r == '.' || r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
				return r
			}
			return '_'
		}, s)
		if len(s) > n {
			s = s[:n]
		}
		return strings.TrimLeft(s, ".")
	}
	return fmt.Sprintf("%s-%s-%s-%s.wav", start.UTC().Format("20060102T150405.000Z"), clean(caller, 32), clean(callee, 32), clean(callID, 64))
}

// Recording is one recorded call (the recordings table).
type Recording = recordings.Record

// Recordings lists the recorded calls, oldest first.
func (s *Server) Recordings(ctx context.Context) ([]Recording, error) {
	if s.recorder == nil {
		return nil, nil
	}
	return s.recorder.store.List(ctx, "")
}

// maxRecordingBytes bounds what ReadRecording reads (about 9 hours).
const maxRecordingBytes = 512 << 20

// ReadRecording decodes a recording's WAV file (8 kHz mono PCM16) into
// its samples, with the media server's strict reader.
func ReadRecording(path string) ([]int16, error) {
	clip, err := media.ReadWAVFile(path, maxRecordingBytes)
	if err != nil {
		return nil, err
	}
	return clip.Samples(), nil
}
