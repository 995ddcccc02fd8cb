package media

import (
	"fmt"
	"io"
	"time"
)

// The audio every pure component of the media server produces and consumes:
// 8 kHz mono linear PCM, 16-bit signed samples (full scale ±32767), handled
// in 20 ms frames of 160 samples.
//
// How the RTP core uses it: its Player reads a Source frame by frame, G.711
// encodes each frame (PCMU or PCMA, the leg's codec) and sends it as one RTP
// packet every 20 ms, padding the last short frame with silence; on the
// receive path it decodes each G.711 payload to a frame and hands it to the
// Sinks attached to the endpoint (recorder, DTMF/tone detector, conference
// mixer input).
const (
	SampleRate    = 8000                  // samples per second
	FrameSamples  = 160                   // samples in one 20 ms frame
	FrameDuration = 20 * time.Millisecond // the frame's length in time
)

// Source is a stream of 8 kHz mono PCM16 audio.
//
// Read fills frame with the next samples. While at least len(frame) samples
// remain it returns n == len(frame) and a nil error; at the end it returns
// the n < len(frame) samples left (possibly 0) and io.EOF, and io.EOF again
// on every later call. Any other error ends the stream the same way. A
// Source never returns a short frame without an error, so a reader can pad
// the last frame with silence and stop.
//
// A Source is not safe for concurrent use: each playback reads its own
// (Clip.Source, TonePlan.Tone and Library.Source return a fresh one per
// call).
type Source interface {
	Read(frame []int16) (n int, err error)
}

// Rewinder is a Source that can start over from its first sample. Every
// Source of this package implements it; Looping needs it.
type Rewinder interface {
	Source
	Rewind() error
}

// Sink consumes 20 ms frames of 8 kHz mono PCM16 audio: a recorder, a
// detector, a mixer input. Write must not keep frame after it returns (the
// caller reuses the buffer) and must not block for long: it runs on the
// RTP receive path. Errors are the sink's own business (WAVWriter keeps
// the first one and returns it from Flush and Close).
type Sink interface {
	Write(frame []int16)
}

// SinkFunc adapts a function to Sink.
type SinkFunc func(frame []int16)

// Write calls f(frame).
func (f SinkFunc) Write(frame []int16) { f(frame) }

// MultiSink writes each frame to every sink in turn.
func MultiSink(sinks ...Sink) Sink {
	return SinkFunc(func(frame []int16) {
		for _, s := range sinks {
			s.Write(frame)
		}
	})
}

// Samples returns how many samples last d at 8 kHz, rounded to the nearest
// sample; negative durations give 0.
func Samples(d time.Duration) int {
	if d <= 0 {
		return 0
	}
	return int((d*SampleRate + time.Second/2) / time.Second)
}

// DurationOf returns how long n samples last at 8 kHz.
func DurationOf(n int) time.Duration {
	return time.Duration(n) * time.Second / SampleRate
}

// Clip is audio held in memory (a decoded WAV, a rendered tone). It is
// immutable and safe for concurrent use; each Source it returns reads it
// from the start independently.
type Clip struct {
	samples []int16
}

// NewClip returns a Clip of samples (not copied: the caller must not change
// them afterwards).
func NewClip(samples []int16) *Clip { return &Clip{samples: samples} }

// Len returns the number of samples.
func (c *Clip) Len() int { return len(c.samples) }

// Duration returns the clip's length.
func (c *Clip) Duration() time.Duration { return DurationOf(len(c.samples)) }

// Samples returns a copy of the clip's samples.
func (c *Clip) Samples() []int16 { return append([]int16(nil), c.samples...) }

// Source returns a new reader of the clip, at its start.
func (c *Clip) Source() Source { return &clipReader{samples: c.samples} }

type clipReader struct {
	samples []int16
	pos     int
}

func (r *clipReader) Read(frame []int16) (int, error) {
	n := copy(frame, r.samples[r.pos:])
	r.pos += n
	if n < len(frame) {
		return n, io.EOF
	}
	return n, nil
}

func (r *clipReader) Rewind() error {
	r.pos = 0
	return nil
}

// Silence returns a Source of d of digital silence (zero samples), d
// rounded to the nearest sample.
func Silence(d time.Duration) Source { return &silence{total: Samples(d)} }

type silence struct{ total, pos int }

func (s *silence) Read(frame []int16) (int, error) {
	n := min(len(frame), s.total-s.pos)
	clear(frame[:n])
	s.pos += n
	if n < len(frame) {
		return n, io.EOF
	}
	return n, nil
}

func (s *silence) Rewind() error {
	s.pos = 0
	return nil
}

// Sequence returns a Source that plays srcs one after the other, filling
// each frame across the boundaries (no gap, no short frame between two
// sources). An error other than io.EOF from one source ends the sequence
// with that error. It rewinds when every source does.
func Sequence(srcs ...Source) Source { return &sequence{srcs: srcs} }

type sequence struct {
	srcs []Source
	cur  int
	err  error
}

func (s *sequence) Read(frame []int16) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	n := 0
	for n < len(frame) && s.cur < len(s.srcs) {
		m, err := s.srcs[s.cur].Read(frame[n:])
		n += max(0, min(m, len(frame)-n))
		switch {
		case err == io.EOF:
			s.cur++
		case err != nil:
			s.err = err
			return n, err
		case m == 0:
			// A Source that returns nothing without an error breaks the
			// contract; stop rather than spin.
			s.err = fmt.Errorf("read sequence part %d: %w", s.cur, io.ErrNoProgress)
			return n, s.err
		}
	}
	if n < len(frame) {
		s.err = io.EOF
		return n, io.EOF
	}
	return n, nil
}

func (s *sequence) Rewind() error {
	for i, src := range s.srcs {
		r, ok := src.(Rewinder)
		if !ok {
			return fmt.Errorf("rewind sequence part %d: %w", i, ErrNotRewindable)
		}
		if err := r.Rewind(); err != nil {
			return fmt.Errorf("rewind sequence part %d: %w", i, err)
		}
	}
	s.cur, s.err = 0, nil
	return nil
}

// Looping returns a Source that plays src over and over without a gap
// (frames are filled across the loop point). src must implement Rewinder;
// if it does not, the loop ends after the first pass with
// ErrNotRewindable. A src that yields no sample at all in a pass ends the
// loop with io.EOF instead of spinning.
func Looping(src Source) Source { return &looping{src: src} }

type looping struct {
	src Source
	err error
}

func (l *looping) Read(frame []int16) (int, error) {
	if l.err != nil {
		return 0, l.err
	}
	n := 0
	empty := false // the last pass ended without a sample
	for n < len(frame) {
		m, err := l.src.Read(frame[n:])
		m = max(0, min(m, len(frame)-n))
		n += m
		switch {
		case err == io.EOF:
			if empty && m == 0 {
				l.err = io.EOF
				return n, l.err
			}
			empty = m == 0
			r, ok := l.src.(Rewinder)
			if !ok {
				l.err = fmt.Errorf("loop: %w", ErrNotRewindable)
				return n, l.err
			}
			if err := r.Rewind(); err != nil {
				l.err = fmt.Errorf("loop: %w", err)
				return n, l.err
			}
		case err != nil:
			l.err = err
			return n, err
		case m == 0:
			l.err = fmt.Errorf("loop: %w", io.ErrNoProgress)
			return n, l.err
		default:
			empty = false
		}
	}
	return n, nil
}

func (l *looping) Rewind() error {
	r, ok := l.src.(Rewinder)
	if !ok {
		return fmt.Errorf("rewind loop: %w", ErrNotRewindable)
	}
	if err := r.Rewind(); err != nil {
		return fmt.Errorf("rewind loop: %w", err)
	}
	l.err = nil
	return nil
}

// Limit returns a Source that stops after d of src (or at src's end if that
// comes first), d rounded to the nearest sample.
func Limit(src Source, d time.Duration) Source {
	return &limit{src: src, total: Samples(d)}
}

type limit struct {
	src        Source
	total, pos int
}

func (l *limit) Read(frame []int16) (int, error) {
	want := min(len(frame), l.total-l.pos)
	n, err := l.src.Read(frame[:want])
	n = max(0, min(n, want))
	l.pos += n
	if err == nil && n < len(frame) {
		err = io.EOF
	}
	return n, err
}

func (l *limit) Rewind() error {
	r, ok := l.src.(Rewinder)
	if !ok {
		return fmt.Errorf("rewind limit: %w", ErrNotRewindable)
	}
	if err := r.Rewind(); err != nil {
		return fmt.Errorf("rewind limit: %w", err)
	}
	l.pos = 0
	return nil
}

// Collect reads src to its end and returns the samples, refusing more than
// max samples (a looping Source never ends: Collect stops it there and
// returns what it read with io.ErrShortBuffer).
func Collect(src Source, max int) ([]int16, error) {
	var out []int16
	frame := make([]int16, FrameSamples)
	for {
		n, err := src.Read(frame)
		if len(out)+n > max {
			return append(out, frame[:max-len(out)]...), fmt.Errorf("collect %d samples: %w", max, io.ErrShortBuffer)
		}
		out = append(out, frame[:n]...)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, fmt.Errorf("collect: %w", err)
		}
	}
}
