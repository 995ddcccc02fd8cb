package rtpaudio

import (
	"time"

	"pbxlab/internal/tone"
)

// frame is the decoded audio of one received packet and its arrival time.
type frame struct {
	at      time.Time
	samples []int16
}

// ring keeps the most recent frames, oldest overwritten first.
type ring struct {
	frames []frame
	next   int
}

func newRing(n int) ring { return ring{frames: make([]frame, n)} }

func (r *ring) push(at time.Time, samples []int16) {
	r.frames[r.next] = frame{at: at, samples: samples}
	r.next = (r.next + 1) % len(r.frames)
}

// since returns, oldest first, the samples of frames that arrived after cutoff.
func (r *ring) since(cutoff time.Time) []int16 {
	var out []int16
	for i := range r.frames {
		f := r.frames[(r.next+i)%len(r.frames)]
		if f.samples != nil && f.at.After(cutoff) {
			out = append(out, f.samples...)
		}
	}
	return out
}

// Recent returns the audio decoded from packets that arrived in the last d
// (real time), oldest first, at most d worth of samples. When the far end
// stops sending, Recent empties: stale audio is never reported.
func (s *Stream) Recent(d time.Duration) []int16 {
	s.mu.Lock()
	out := s.ring.since(time.Now().Add(-d))
	s.mu.Unlock()
	if limit := int(d * 8000 / time.Second); len(out) > limit {
		out = out[len(out)-limit:]
	}
	return out
}

// Analyse runs det over the listen window of recent audio.
func (s *Stream) Analyse(det *tone.Detector) tone.Result {
	return det.Analyse(s.Recent(s.window))
}

// Hears reports whether det finds its tone in the listen window (default
// the last 400 ms) of received audio.
func (s *Stream) Hears(det *tone.Detector) bool { return s.Analyse(det).Present }
