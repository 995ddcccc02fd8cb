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
}

// ReadFile reads the capture at path; see Read.
func ReadFile(path string) ([]Packet, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read capture %s: %w", path, err)
	}
	defer f.Close()
	pkts, err := Read(f)
	if err != nil {
		return pkts, fmt.Errorf("read capture %s: %w", path, err)
	}
	return pkts, nil
}

// Read reads a pcapng or classic pcap stream (gzip-compressed or not) and
// returns its UDP datagrams and TCP payloads in capture order. Link types:
// Ethernet (with VLAN tags), raw IP, Linux cooked (SLL, SLL2) and BSD
// loopback. IPv4 fragments are reassembled; IPv6 fragments are skipped. TCP
// payloads come in sequence order per direction with retransmitted bytes
// and empty segments dropped; a segment after a gap is held back until the
// gap fills, and given up on after a while or at the end of the capture.
// Other packets are skipped. On a damaged or truncated stream, Read returns
// the packets before the damage together with the error.
func Read(r io.Reader) ([]Packet, error) {
	src, err := openSource(r)
	if err != nil {
		return nil, err
	}
	d := newDecoder()
	for n := 1; ; n++ {
		data, ci, lt, err := src.next()
		if errors.Is(err, io.EOF) {
			return d.finish(), nil
		}
		if err != nil {
			return d.finish(), fmt.Errorf("read packet %d: %w", n, err)
		}
		d.add(data, ci.Timestamp, lt)
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

// source yields raw frames with their link type.
type source interface {
	next() ([]byte, gopacket.CaptureInfo, layers.LinkType, error)
}

func openSource(r io.Reader) (source, error) {
	br := bufio.NewReader(r)
	head, err := br.Peek(4)
	if len(head) >= 2 && binary.BigEndian.Uint16(head) == gzipMagic {
		gz, gerr := gzip.NewReader(br)
		if gerr != nil {
			return nil, fmt.Errorf("open gzip capture: %w", gerr)
		}
		br = bufio.NewReader(gz)
		head, err = br.Peek(4)
	}
	if err != nil {
		return nil, fmt.Errorf("open capture: %w: %w", ErrUnknownFormat, err)
	}
	magic := binary.BigEndian.Uint32(head)
	if magic == magicPcapng {
		ng, err := pcapgo.NewNgReader(br, pcapgo.NgReaderOptions{WantMixedLinkType: true, SkipUnknownVersion: true})
		if err != nil {
			return nil, fmt.Errorf("open pcapng capture: %w", err)
		}
		return ngSource{ng}, nil
	}
	if isPcapMagic(magic) {
		pr, err := pcapgo.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("open pcap capture: %w", err)
		}
		return pcapSource{pr}, nil
	}
	return nil, fmt.Errorf("open capture: %w", ErrUnknownFormat)
}

type ngSource struct{ r *pcapgo.NgReader }

func (s ngSource) next() ([]byte, gopacket.CaptureInfo, layers.LinkType, error) {
	data, ci, err := s.r.ReadPacketData()
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

type pcapSource struct{ r *pcapgo.Reader }

func (s pcapSource) next() ([]byte, gopacket.CaptureInfo, layers.LinkType, error) {
	data, ci, err := s.r.ReadPacketData()
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
