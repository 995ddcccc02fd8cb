package steps

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"pbxlab/internal/pcapio"
	"pbxlab/internal/sipwire"
)

// capture records the SIP and RTP of a scenario's phones (sim Agents and
// raw fixture sockets) to <dir>/<name>.pcapng and keeps a copy in memory,
// so that steps can inspect what went over the wire (a CANCEL's Reason, a
// 301's Contact) without the simulator exposing it.
type capture struct {
	w    *pcapio.Writer
	path string
	file *os.File
	buf  *teeBuffer
}

// teeBuffer keeps everything written in memory and copies it to a file.
type teeBuffer struct {
	mu   sync.Mutex
	mem  bytes.Buffer
	file *os.File
}

func (t *teeBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.mem.Write(p)
	if t.file != nil {
		return t.file.Write(p)
	}
	return len(p), nil
}

func (t *teeBuffer) snapshot() []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	return bytes.Clone(t.mem.Bytes())
}

// openCapture starts the scenario's phone-side capture; dir "" keeps it in
// memory only.
func openCapture(dir, name string) (*capture, error) {
	c := &capture{buf: &teeBuffer{}}
	if dir != "" {
		c.path = filepath.Join(dir, name+".pcapng")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("open capture %s: %w", c.path, err)
		}
		f, err := os.Create(c.path)
		if err != nil {
			return nil, fmt.Errorf("open capture %s: %w", c.path, err)
		}
		c.file, c.buf.file = f, f
	}
	w, err := pcapio.NewWriter(c.buf)
	if err != nil {
		if c.file != nil {
			_ = c.file.Close()
		}
		return nil, fmt.Errorf("open capture %s: %w", name, err)
	}
	c.w = w
	return c, nil
}

func (c *capture) close() error {
	err := c.w.Close()
	if c.file != nil {
		err = errors.Join(err, c.file.Close())
	}
	return err
}

// wireMessage is one SIP message found in the capture.
type wireMessage = sipwire.Message

// messages returns the SIP messages recorded so far, in capture order.
func (c *capture) messages() ([]wireMessage, error) {
	if err := c.w.Flush(); err != nil {
		return nil, fmt.Errorf("read capture: %w", err)
	}
	return sipMessagesOf(c.buf.snapshot())
}

// sipMessagesOf decodes a pcapng stream and parses its SIP messages;
// damaged input yields the messages before the damage and an error.
func sipMessagesOf(data []byte) ([]wireMessage, error) {
	msgs, err := sipwire.ReadBytes(data)
	if err != nil {
		return msgs, fmt.Errorf("read capture: %w", err)
	}
	return msgs, nil
}

// wireSource is implemented by sessions that record the PBX's own view of
// the wire (InProcess): steps search it too, since the simulator does not
// tap the TCP connections it dials.
type wireSource interface {
	wire() ([]wireMessage, error)
}

// awaitWire polls the scenario's captures (the phones', then the PBX's if
// the session has one) until find accepts one of them or ctx ends. find
// sees one capture at a time, in capture order.
func (w *world) awaitWire(ctx context.Context, what string, find func([]wireMessage) (wireMessage, bool)) (wireMessage, error) {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		sources := []func() ([]wireMessage, error){w.cap.messages}
		if ws, ok := w.sess.(wireSource); ok {
			sources = append(sources, ws.wire)
		}
		for _, src := range sources {
			msgs, err := src()
			if err != nil {
				return wireMessage{}, err
			}
			if m, ok := find(msgs); ok {
				return m, nil
			}
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			return wireMessage{}, fmt.Errorf("%w: no %s on the wire: %w", ErrExpectation, what, ctx.Err())
		}
	}
}
