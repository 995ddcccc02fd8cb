package pcapio

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// Transport names used in Packet.Proto.
const (
	ProtoUDP = "udp"
	ProtoTCP = "tcp"
)

// Packet is one UDP datagram or one in-order TCP payload read from a capture.
type Packet struct {
	Time     time.Time
	Proto    string // ProtoUDP or ProtoTCP
	Src, Dst netip.AddrPort
	Payload  []byte
	// Truncated: the snaplen cut the end of this payload off; the bytes
	// that are missing are not in the capture.
	Truncated bool
	// Gap (TCP only): bytes of this direction before this payload are not
	// in the capture (lost, or cut by the snaplen); a stream parser should
	// start over here.
	Gap bool
	// End (TCP only, with WithStreamEnds): no payload; the direction ended
	// (FIN, RST, evicted or idle) and its state was dropped.
	End bool
}

// ReadFile reads the capture at path; see Read.
func ReadFile(path string) ([]Packet, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read capture %s: %w", path, err)
	}
	defer f.Close()
	return readAll(f, WithName(path))
}

// Read reads a pcapng or classic pcap stream (gzip-compressed or not) and
// returns its UDP datagrams and TCP payloads in capture order; it is
// NewReader and Next to the end, holding every Packet in memory (use a
// Reader for a large capture). On a damaged or truncated stream, Read
// returns the packets before the damage together with the error.
func Read(r io.Reader) ([]Packet, error) { return readAll(r) }

func readAll(r io.Reader, opts ...ReaderOption) ([]Packet, error) {
	rd, err := NewReader(r, opts...)
	if err != nil {
		return nil, err
	}
	var out []Packet
	for {
		p, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, p)
	}
}

const (
	magicPcapng = 0x0A0D0D0A
	gzipMagic   = 0x1f8b
)

// isPcapMagic reports whether m (read big-endian) starts a classic pcap
// file: micro- or nanosecond timestamps, either byte order.
func isPcapMagic(m uint32) bool {
	switch m {
	case 0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1:
		return true
	}
	return false
}

// source yields raw frames with their link type. The data is valid until
// the next call.
type source interface {
	next() ([]byte, gopacket.CaptureInfo, layers.LinkType, error)
}

// counter counts the bytes read through it.
type counter struct {
	r io.Reader
	n int64
}

func (c *counter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// position is the offset of the next byte the pcapgo readers will read:
// they keep br as their buffer (bufio.NewReader returns a *bufio.Reader
// that is large enough as it is).
type position struct {
	c  *counter
	br *bufio.Reader
}

func (p position) offset() int64 { return p.c.n - int64(p.br.Buffered()) }

func openSource(r io.Reader) (source, position, error) {
	br := bufio.NewReader(r)
	head, err := br.Peek(4)
	if len(head) >= 2 && binary.BigEndian.Uint16(head) == gzipMagic {
		gz, gerr := gzip.NewReader(br)
		if gerr != nil {
			return nil, position{}, fmt.Errorf("open gzip capture: %w", gerr)
		}
		br = bufio.NewReader(gz)
	}
	c := &counter{r: br}
	br = bufio.NewReader(c)
	pos := position{c: c, br: br}
	head, err = br.Peek(4)
	if err != nil {
		return nil, pos, fmt.Errorf("open capture: %w: %w", ErrUnknownFormat, err)
	}
	magic := binary.BigEndian.Uint32(head)
	if magic == magicPcapng {
		ng, err := pcapgo.NewNgReader(br, pcapgo.NgReaderOptions{WantMixedLinkType: true, SkipUnknownVersion: true})
		if err != nil {
			return nil, pos, fmt.Errorf("open pcapng capture: %w", err)
		}
		return ngSource{ng, br}, pos, nil
	}
	if isPcapMagic(magic) {
		var order binary.ByteOrder = binary.LittleEndian
		if magic == 0xa1b2c3d4 || magic == 0xa1b23c4d {
			order = binary.BigEndian
		}
		pr, err := pcapgo.NewReader(br)
		if err != nil {
			return nil, pos, fmt.Errorf("open pcap capture: %w", err)
		}
		return pcapSource{pr, br, order}, pos, nil
	}
	return nil, pos, fmt.Errorf("open capture: %w", ErrUnknownFormat)
}

// maxRecord bounds a record's length, so that one record cannot make the
// reader hold more than this (a record's bytes are read whole): libpcap's
// largest snaplen (262144) with room for pcapng's headers and options.
const maxRecord = 1 << 20

// pcapng block types that pcapgo reads whole into memory: packets (simple,
// enhanced, obsolete) and decryption secrets.
var wholeBlocks = map[uint32]bool{2: true, 3: true, 6: true, 10: true}

type ngSource struct {
	r  *pcapgo.NgReader
	br *bufio.Reader // what r reads from, to look at the next block first
}

// checkBlock refuses a packet block longer than maxRecord. The block type
// tells the section's byte order (a packet type is below 256).
func (s ngSource) checkBlock() error {
	h, err := s.br.Peek(8)
	if err != nil {
		return nil // pcapgo reports the end or the cut
	}
	for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		if typ := order.Uint32(h); wholeBlocks[typ] {
			if n := order.Uint32(h[4:]); n > maxRecord {
				return fmt.Errorf("pcapng block of type %d is %d bytes long, more than %d: %w", typ, n, maxRecord, ErrRecordTooLarge)
			}
		}
	}
	return nil
}

func (s ngSource) next() ([]byte, gopacket.CaptureInfo, layers.LinkType, error) {
	if err := s.checkBlock(); err != nil {
		return nil, gopacket.CaptureInfo{}, 0, err
	}
	data, ci, err := s.r.ZeroCopyReadPacketData()
	if err != nil {
		return nil, ci, 0, err
	}
	lt := s.r.LinkType()
	if len(ci.AncillaryData) > 0 {
		if v, ok := ci.AncillaryData[0].(layers.LinkType); ok {
			lt = v
		}
	}
	return data, ci, lt, nil
}

type pcapSource struct {
	r     *pcapgo.Reader
	br    *bufio.Reader // what r reads from, to look at the next record first
	order binary.ByteOrder
}

func (s pcapSource) next() ([]byte, gopacket.CaptureInfo, layers.LinkType, error) {
	if h, err := s.br.Peek(16); err == nil {
		if n := s.order.Uint32(h[8:]); n > maxRecord {
			return nil, gopacket.CaptureInfo{}, 0, fmt.Errorf("record of %d bytes, more than %d: %w", n, maxRecord, ErrRecordTooLarge)
		}
	}
	data, ci, err := s.r.ZeroCopyReadPacketData()
	return data, ci, s.r.LinkType(), err
}

// firstDecoder picks the gopacket decoder for a link type; gopacket has none
// registered for the raw IPv4 and IPv6 link types.
func firstDecoder(lt layers.LinkType) gopacket.Decoder {
	switch lt {
	case layers.LinkTypeIPv4:
		return layers.LayerTypeIPv4
	case layers.LinkTypeIPv6:
		return layers.LayerTypeIPv6
	}
	return lt
}
