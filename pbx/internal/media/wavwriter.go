package media

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"sync"
)

// wavHeaderSize is the size of the canonical header WAVWriter writes: RIFF
// (12) + fmt chunk (8 + 16) + data chunk header (8).
const wavHeaderSize = 44

// maxWAVData is the largest data chunk a RIFF header can describe.
const maxWAVData = math.MaxUint32 - (wavHeaderSize - 8)

// DefaultWAVFlushSamples is how much audio a WAVWriter buffers before it
// writes it out and updates the header: 1 s. A crash loses at most that.
const DefaultWAVFlushSamples = SampleRate

// WAVOption configures a WAVWriter.
type WAVOption func(*WAVWriter)

// WithFlushEvery sets how many samples Write buffers before it flushes
// (DefaultWAVFlushSamples; at least one frame).
func WithFlushEvery(samples int) WAVOption {
	return func(w *WAVWriter) { w.flushEvery = max(samples, FrameSamples) }
}

// WAVWriter records 8 kHz mono PCM16 to a WAV file, for recordings and
// voicemail. It is a Sink. The file is always a valid WAV up to the last
// flush: each Flush (automatic every WithFlushEvery samples, and on Close)
// writes the buffered samples first and then rewrites the RIFF and data
// sizes in the header, so a process that dies mid-recording leaves a file
// that DecodeWAV reads up to that flush (bytes written after it lie past the
// RIFF size the header announces, and readers ignore them).
//
// Write keeps the first error (disk full, closed file) and drops the
// samples after it; Flush and Close return it. A WAVWriter is safe for
// concurrent use (the receive path writes, a control path closes).
type WAVWriter struct {
	mu         sync.Mutex
	dst        io.WriterAt
	closer     io.Closer // set by CreateWAV: the file Close closes
	sync       func() error
	flushEvery int
	buf        []byte // encoded samples not yet written
	written    int64  // data bytes written and described by the header
	err        error
	closed     bool
}

// NewWAVWriter writes a WAV header (no data yet) at offset 0 of dst and
// returns a writer that appends samples after it. Close does not close dst.
func NewWAVWriter(dst io.WriterAt, opts ...WAVOption) (*WAVWriter, error) {
	w := &WAVWriter{dst: dst, flushEvery: DefaultWAVFlushSamples}
	for _, o := range opts {
		o(w)
	}
	if _, err := dst.WriteAt(wavHeader(0), 0); err != nil {
		return nil, fmt.Errorf("write wav header: %w", err)
	}
	return w, nil
}

// CreateWAV creates (or truncates) the file at path and returns a
// WAVWriter on it; Close syncs and closes the file.
func CreateWAV(path string, opts ...WAVOption) (*WAVWriter, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o640)
	if err != nil {
		return nil, fmt.Errorf("create wav %s: %w", path, err)
	}
	w, err := NewWAVWriter(f, opts...)
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("create wav %s: %w", path, err)
	}
	w.closer, w.sync = f, f.Sync
	return w, nil
}

// wavHeader is the canonical 44-byte header for dataBytes of 8 kHz mono PCM16.
func wavHeader(dataBytes uint32) []byte {
	h := make([]byte, wavHeaderSize)
	le := binary.LittleEndian
	copy(h[0:], "RIFF")
	le.PutUint32(h[4:], wavHeaderSize-8+dataBytes)
	copy(h[8:], "WAVEfmt ")
	le.PutUint32(h[16:], 16)
	le.PutUint16(h[20:], uint16(WAVPCM))
	le.PutUint16(h[22:], 1) // mono
	le.PutUint32(h[24:], SampleRate)
	le.PutUint32(h[28:], SampleRate*2) // byte rate
	le.PutUint16(h[32:], 2)            // block align
	le.PutUint16(h[34:], 16)           // bits per sample
	copy(h[36:], "data")
	le.PutUint32(h[40:], dataBytes)
	return h
}

// Write buffers frame (any length) and flushes when enough is buffered. It
// implements Sink: an error is kept for Flush and Close. Past the 4 GiB a
// WAV can describe, samples are dropped and the error is ErrWAVTooLarge.
func (w *WAVWriter) Write(frame []int16) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		w.setErr(fmt.Errorf("write wav: %w", ErrWriterClosed))
		return
	}
	if w.err != nil {
		return
	}
	if w.written+int64(len(w.buf))+2*int64(len(frame)) > maxWAVData {
		w.setErr(fmt.Errorf("write wav: %d bytes: %w", w.written+int64(len(w.buf)), ErrWAVTooLarge))
		return
	}
	for _, s := range frame {
		w.buf = binary.LittleEndian.AppendUint16(w.buf, uint16(s))
	}
	if len(w.buf) >= 2*w.flushEvery {
		_ = w.flushLocked()
	}
}

func (w *WAVWriter) setErr(err error) {
	if w.err == nil {
		w.err = err
	}
}

// Flush writes the buffered samples and updates the header, so the file
// holds a complete WAV of everything written so far.
func (w *WAVWriter) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return fmt.Errorf("flush wav: %w", ErrWriterClosed)
	}
	return w.flushLocked()
}

func (w *WAVWriter) flushLocked() error {
	if w.err != nil {
		return w.err
	}
	if len(w.buf) == 0 {
		return nil
	}
	if _, err := w.dst.WriteAt(w.buf, wavHeaderSize+w.written); err != nil {
		w.setErr(fmt.Errorf("flush wav: %w", err))
		return w.err
	}
	w.written += int64(len(w.buf))
	w.buf = w.buf[:0]
	var sizes [4]byte
	binary.LittleEndian.PutUint32(sizes[:], uint32(wavHeaderSize-8+w.written))
	if _, err := w.dst.WriteAt(sizes[:], 4); err != nil {
		w.setErr(fmt.Errorf("flush wav header: %w", err))
		return w.err
	}
	binary.LittleEndian.PutUint32(sizes[:], uint32(w.written))
	if _, err := w.dst.WriteAt(sizes[:], 40); err != nil {
		w.setErr(fmt.Errorf("flush wav header: %w", err))
		return w.err
	}
	return nil
}

// Samples returns how many samples were accepted (flushed or buffered).
func (w *WAVWriter) Samples() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return (w.written + int64(len(w.buf))) / 2
}

// Err returns the first error of the writer, or nil.
func (w *WAVWriter) Err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// Close flushes, then syncs and closes the file when CreateWAV opened it.
// It returns the first error the writer met; a second Close returns
// ErrWriterClosed.
func (w *WAVWriter) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return fmt.Errorf("close wav: %w", ErrWriterClosed)
	}
	w.closed = true
	err := w.flushLocked()
	if w.sync != nil && err == nil {
		if serr := w.sync(); serr != nil {
			err = fmt.Errorf("close wav: sync: %w", serr)
		}
	}
	if w.closer != nil {
		if cerr := w.closer.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close wav: %w", cerr)
		}
	}
	return err
}
