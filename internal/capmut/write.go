package capmut

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"pbxlab/internal/clock"
	"pbxlab/internal/pcapio"
	"pbxlab/internal/sipwire"
)

// Writer writes messages and packets to a pcapng stream, each at its own
// time, with pcapio.Writer's synthetic Ethernet/IP/UDP/TCP framing. Not
// safe for concurrent use.
type Writer struct {
	w   *pcapio.Writer
	clk *stampClock
}

// NewWriter starts a pcapng stream on dst.
func NewWriter(dst io.Writer) (*Writer, error) {
	clk := &stampClock{}
	w, err := pcapio.NewWriter(dst, pcapio.WithClock(clk))
	if err != nil {
		return nil, fmt.Errorf("capmut writer: %w", err)
	}
	return &Writer{w: w, clk: clk}, nil
}

// Message writes one SIP message (re-serialised by sipgo) as a UDP
// datagram or a TCP segment, as it came.
func (w *Writer) Message(m sipwire.Message) {
	w.Packet(pcapio.Packet{Time: m.Time, Proto: m.Proto, Src: m.Src, Dst: m.Dst, Payload: []byte(m.Msg.String())})
}

// Packet writes one packet at its time. A TCP packet's first segment on a
// connection gets pcapio's synthetic handshake.
func (w *Writer) Packet(p pcapio.Packet) {
	w.clk.set(p.Time)
	if p.Proto == pcapio.ProtoTCP {
		w.w.TCP(p.Src, p.Dst, p.Payload)
		return
	}
	w.w.UDP(p.Src, p.Dst, p.Payload)
}

// Close flushes the stream (it does not close dst) and returns the first
// write error.
func (w *Writer) Close() error {
	if err := w.w.Close(); err != nil {
		return fmt.Errorf("capmut writer: %w", err)
	}
	return nil
}

// Write writes msgs to dst as a pcapng capture (see Writer).
func Write(dst io.Writer, msgs []sipwire.Message) error {
	w, err := NewWriter(dst)
	if err != nil {
		return err
	}
	for _, m := range msgs {
		w.Message(m)
	}
	return w.Close()
}

// WriteFile writes msgs to a pcapng file at path.
func WriteFile(path string, msgs []sipwire.Message) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("capmut write %s: %w", path, err)
	}
	err = Write(f, msgs)
	if cerr := f.Close(); cerr != nil {
		err = errors.Join(err, fmt.Errorf("capmut write %s: %w", path, cerr))
	}
	return err
}

// stampClock is the time of the packet being written: pcapio.Writer reads
// Now under its lock for each frame it writes.
type stampClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *stampClock) set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

func (c *stampClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// After and AfterFunc are never used by pcapio.Writer; they run on the
// wall clock to satisfy clock.Clock.
func (c *stampClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

func (c *stampClock) AfterFunc(d time.Duration, f func()) clock.Timer { return time.AfterFunc(d, f) }
