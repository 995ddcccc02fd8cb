package pcapio

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// Stats counts what a Reader has read so far.
type Stats struct {
	Records int   // frames read from the capture
	Bytes   int64 // bytes of capture read (after gzip)
	Packets int   // Packets returned by Next (End markers not counted)
	// Cut counts frames shorter than they were on the wire (the snaplen);
	// the Packets from them are marked Truncated.
	Cut int
	// Skipped counts frames with no UDP or TCP in IP: ARP, ICMP, other link
	// types, undecodable bytes.
	Skipped          int
	Fragments        int // IPv4 and IPv6 fragments read
	FragmentsDropped int // fragments of datagrams never completed, overlapping or cut
	TCPGaps          int // times missing TCP bytes were given up on
	FlowsEvicted     int // TCP directions dropped by Limits.MaxFlows or FlowIdle
}

// Reader reads a capture frame by frame and returns its Packets one at a
// time, in bounded memory (see Limits): a capture of any size streams
// through it. Not safe for concurrent use.
type Reader struct {
	src   source
	pos   position
	cfg   readerConfig
	dec   *decoder
	stats Stats
	queue []Packet // ready Packets, queue[qi:] not returned yet
	qi    int
	err   error // set once the capture ended (io.EOF) or broke
}

// NewReader opens a pcapng or classic pcap stream, gzip-compressed or not.
// Link types: Ethernet (with 802.1Q and QinQ VLAN tags), raw IP (101, 228,
// 229), Linux cooked (SLL, SLL2) and BSD loopback (null, loop). It reads
// only the file header; Next reads the rest.
func NewReader(r io.Reader, opts ...ReaderOption) (*Reader, error) {
	cfg := readerConfig{limits: DefaultLimits()}
	for _, o := range opts {
		o(&cfg)
	}
	src, pos, err := openSource(r)
	if err != nil {
		return nil, cfg.wrap(err)
	}
	rd := &Reader{src: src, pos: pos, cfg: cfg}
	rd.dec = newDecoder(cfg.limits, &rd.stats, cfg.ends)
	return rd, nil
}

// OpenFile opens the capture at path for reading; closing the returned
// file is the caller's job.
func OpenFile(path string, opts ...ReaderOption) (*Reader, *os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("read capture %s: %w", path, err)
	}
	rd, err := NewReader(f, append([]ReaderOption{WithName(path)}, opts...)...)
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return rd, f, nil
}

// Next returns the next UDP datagram or in-order TCP payload. IPv4 and IPv6
// fragments are reassembled. TCP payloads come in sequence order per
// direction with retransmitted bytes and empty segments dropped; a segment
// after a gap is held back until the gap fills, and given up on (see
// Limits) or at the end of the capture. Frames that are not UDP or TCP are
// skipped. Next returns io.EOF at the end; on a damaged or truncated
// capture, the Packets before the damage and then an error naming the
// record and its byte offset (in the uncompressed stream), wrapping
// ErrTruncated when the capture stops mid-record. After an error, Next
// keeps returning it.
func (r *Reader) Next() (Packet, error) {
	for r.qi == len(r.queue) {
		clear(r.queue)
		r.queue, r.dec.out, r.qi = r.dec.out, r.queue[:0], 0
		if len(r.queue) > 0 {
			break
		}
		if r.err != nil {
			return Packet{}, r.err
		}
		r.read()
	}
	p := r.queue[r.qi]
	r.qi++
	if !p.End {
		r.stats.Packets++
	}
	return p, nil
}

// read reads one frame into the decoder, or ends the capture.
func (r *Reader) read() {
	off := r.pos.offset()
	data, ci, lt, err := r.src.next()
	r.stats.Bytes = r.pos.offset()
	if err != nil {
		r.dec.finish()
		if errors.Is(err, io.EOF) {
			r.err = io.EOF
			return
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			err = fmt.Errorf("%w: %w", ErrTruncated, err)
		}
		r.err = r.cfg.wrap(fmt.Errorf("record %d at byte %d: %w", r.stats.Records+1, off, err))
		return
	}
	r.stats.Records++
	r.dec.add(frame{data: data, ts: ci.Timestamp, cut: max(ci.Length-ci.CaptureLength, 0)}, lt)
}

// Stats returns the counts so far.
func (r *Reader) Stats() Stats { return r.stats }

func (c readerConfig) wrap(err error) error {
	if c.name != "" {
		return fmt.Errorf("read capture %s: %w", c.name, err)
	}
	return fmt.Errorf("read capture: %w", err)
}
