// Package sipwire finds the SIP messages among captured packets and parses
// them with sipgo: each UDP datagram on its own, each TCP direction as a
// stream (a message split over segments, or several in one, come out
// whole). RTP and anything else that is not SIP is left out. It is the one
// place where captures become SIP messages: the ladder, the call-flow
// normaliser and the feature steps all read them through it.
//
// Scanner, Scan and ScanFile stream a capture of any size in bounded
// memory (see pcapio.Limits) and count what they skip (Stats); Read,
// ReadFile and FromPackets return every message at once.
package sipwire

import (
	"bytes"
	"fmt"
	"io"
	"net/netip"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/pcapio"
)

// Message is one SIP message on the wire.
type Message struct {
	Time     time.Time
	Proto    string // pcapio.ProtoUDP or pcapio.ProtoTCP
	Src, Dst netip.AddrPort
	Msg      sip.Message
}

// FromPackets returns the SIP messages among pkts, in capture order. A UDP
// payload that does not parse (or that the snaplen cut) is skipped; a TCP
// direction that stops parsing starts over at its next segment, as does
// one with bytes missing (pcapio.Packet.Gap).
func FromPackets(pkts []pcapio.Packet) []Message {
	c := newConverter()
	for _, p := range pkts {
		c.packet(p)
	}
	c.closeAll()
	return c.out
}

// Read decodes a capture (pcap or pcapng, see pcapio.Read) and returns its
// SIP messages; on damaged input, those before the damage and the error.
// It holds every message in memory; Scan and Scanner stream.
func Read(r io.Reader) ([]Message, error) {
	var msgs []Message
	_, err := scan(r, func(m Message) error { msgs = append(msgs, m); return nil })
	if err != nil {
		return msgs, wrapRead(err)
	}
	return msgs, nil
}

func wrapRead(err error) error { return fmt.Errorf("read sip messages: %w", err) }

// ReadBytes is Read of a capture held in memory.
func ReadBytes(b []byte) ([]Message, error) { return Read(bytes.NewReader(b)) }

// ReadFile is Read of the capture at path; its errors name the path.
func ReadFile(path string) ([]Message, error) {
	var msgs []Message
	err := ScanFile(path, func(m Message) error { msgs = append(msgs, m); return nil })
	return msgs, err
}
