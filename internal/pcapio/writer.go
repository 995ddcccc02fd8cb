package pcapio

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"pbxlab/internal/clock"
)

// Writer records packets to a pcapng stream with one Ethernet interface.
// A nil *Writer is valid: every method is a no-op. Safe for concurrent use.
type Writer struct {
	clk clock.Clock
	log *slog.Logger

	mu     sync.Mutex
	ng     *pcapgo.NgWriter
	file   io.Closer // set when Create opened the file
	frames framer
	flows  map[flowKey]*tcpFlow
	err    error // first write error; stops recording
	closed bool
}

// Create creates (or truncates) the pcapng file at path, making missing
// parent directories, and returns a Writer recording to it. Close flushes
// and closes the file.
func Create(path string, opts ...Option) (*Writer, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("create capture %s: %w", path, err)
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("create capture %s: %w", path, err)
	}
	w, err := newWriter(f, opts)
	if err != nil {
		return nil, fmt.Errorf("create capture %s: %w", path, errors.Join(err, f.Close()))
	}
	w.file = f
	return w, nil
}

// NewWriter returns a Writer that writes a pcapng stream to dst. The section
// and interface headers are written at once. Close flushes but does not
// close dst.
func NewWriter(dst io.Writer, opts ...Option) (*Writer, error) {
	w, err := newWriter(dst, opts)
	if err != nil {
		return nil, fmt.Errorf("start capture: %w", err)
	}
	return w, nil
}

func newWriter(dst io.Writer, opts []Option) (*Writer, error) {
	w := &Writer{
		clk:    clock.New(),
		log:    slog.New(slog.DiscardHandler),
		frames: newFramer(),
		flows:  make(map[flowKey]*tcpFlow),
	}
	for _, o := range opts {
		o(w)
	}
	intf := pcapgo.NgInterface{
		Name:                "pbxlab",
		Description:         "SIP and RTP recorded by pbxlab",
		LinkType:            layers.LinkTypeEthernet,
		TimestampResolution: 9,
	}
	// No hardware/OS in the section header: the same packets at the same
	// times give the same bytes on every machine.
	info := pcapgo.NgWriterOptions{SectionInfo: pcapgo.NgSectionInfo{Application: "pbxlab"}}
	ng, err := pcapgo.NewNgWriterInterface(dst, intf, info)
	if err != nil {
		return nil, err
	}
	w.ng = ng
	return w, nil
}

// UDP records one datagram from src to dst. An IPv4-mapped IPv6 address is
// written as IPv4; if one side is IPv4 and the other IPv6, both are written
// as IPv6 (the IPv4 one mapped). Zones are dropped.
func (w *Writer) UDP(src, dst netip.AddrPort, payload []byte) {
	w.record(src, dst, func(src, dst netip.AddrPort) {
		if len(payload) > maxPayload(src.Addr(), udpHeaderLen) {
			w.log.Warn("capture skipped a datagram", "src", src, "dst", dst, "len", len(payload), "error", ErrPayloadTooLarge)
			return
		}
		frame, err := w.frames.udp(src, dst, payload)
		w.emit(frame, err)
	})
}

// record runs fn with the normalised addresses under the writer's lock,
// unless w is nil or the capture has stopped.
func (w *Writer) record(a, b netip.AddrPort, fn func(a, b netip.AddrPort)) {
	if w == nil {
		return
	}
	a, b = normalisePair(a, b)
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.recording() {
		fn(a, b)
	}
}

// TCP records payload sent from src to dst on a TCP connection. The first
// segment of an unknown flow is preceded by a synthetic SYN, SYN-ACK, ACK
// with src as the client. Sequence and acknowledgement numbers follow the
// bytes recorded in each direction; large payloads are split into several
// segments. Empty payloads are ignored. Addresses are normalised as for UDP.
func (w *Writer) TCP(src, dst netip.AddrPort, payload []byte) {
	if len(payload) == 0 {
		return
	}
	w.record(src, dst, func(src, dst netip.AddrPort) {
		fl, from := w.flowFor(src, dst)
		if fl.fin[from] {
			// src already closed its side: this is a new connection that
			// reuses the addresses.
			w.forget(fl)
			fl, from = w.flowFor(src, dst)
		}
		for chunk := range slices.Chunk(payload, maxPayload(src.Addr(), tcpHeaderLen)) {
			w.segment(fl, from, tcpPSH|tcpACK, chunk)
		}
	})
}

// TCPClose records a FIN from src to dst and dst's acknowledgement. Once
// both directions are closed the flow is forgotten, so later segments on the
// same addresses start a new connection. Closing an unknown flow does nothing.
func (w *Writer) TCPClose(src, dst netip.AddrPort) { w.record(src, dst, w.fin) }

// tcpOpen records the handshake of a connection from client to server,
// replacing any state of a flow on the same addresses.
func (w *Writer) tcpOpen(client, server netip.AddrPort) {
	w.record(client, server, func(client, server netip.AddrPort) {
		if fl, ok := w.flows[keyOf(client, server)]; ok {
			w.forget(fl)
		}
		w.open(client, server)
	})
}

// tcpTeardown records FINs from local and then from remote, for the sides
// not closed yet, and forgets the flow. The remote FIN is synthetic: after
// closing its socket the local side reads nothing more.
func (w *Writer) tcpTeardown(local, remote netip.AddrPort) {
	w.record(local, remote, func(local, remote netip.AddrPort) {
		if _, ok := w.flows[keyOf(local, remote)]; ok {
			w.fin(local, remote)
			w.fin(remote, local)
		}
	})
}

// Flush writes buffered packets to the underlying writer. It returns the
// error that stopped the capture, if any.
func (w *Writer) Flush() error {
	if w == nil {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil || w.closed {
		return w.err
	}
	if err := w.ng.Flush(); err != nil {
		w.fail(err)
	}
	return w.err
}

// Close flushes the capture, closes the file opened by Create and stops
// recording. It returns the first error met while recording, if any. Calls
// after the first return nil.
func (w *Writer) Close() error {
	if w == nil {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	w.closed = true
	err := w.err
	if err == nil {
		if ferr := w.ng.Flush(); ferr != nil {
			err = fmt.Errorf("flush capture: %w", ferr)
		}
	}
	if w.file != nil {
		if cerr := w.file.Close(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("close capture: %w", cerr))
		}
	}
	w.flows = nil
	return err
}

// recording reports whether packets are still written. Call with mu held.
func (w *Writer) recording() bool { return !w.closed && w.err == nil }

// emit writes one frame stamped with the clock. Taking the time under mu
// keeps timestamps in file order. Call with mu held.
func (w *Writer) emit(frame []byte, err error) {
	if err != nil {
		w.log.Warn("capture skipped a packet", "error", err)
		return
	}
	ci := gopacket.CaptureInfo{
		Timestamp:     w.clk.Now(),
		CaptureLength: len(frame),
		Length:        len(frame),
	}
	if err := w.ng.WritePacket(ci, frame); err != nil {
		w.fail(err)
	}
}

// fail stops the capture after a write error. Call with mu held.
func (w *Writer) fail(err error) {
	w.err = fmt.Errorf("write capture: %w", err)
	w.log.Warn("capture stopped", "error", err)
}
