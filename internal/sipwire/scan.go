package sipwire

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strings"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/pcapio"
)

// Stats counts what a Scanner read: the capture's counts (pcapio.Stats)
// and what became of its payloads. Cut counts SIP messages; the embedded
// Stats.Cut counts frames the snaplen cut.
type Stats struct {
	pcapio.Stats
	// Messages is how many SIP messages were parsed and returned.
	Messages int
	// NotSIP counts UDP datagrams that do not start like SIP: RTP, RTCP,
	// STUN, CRLF keep-alives.
	NotSIP int
	// Cut counts SIP messages the capture holds only part of, skipped: a
	// UDP datagram cut by the snaplen, a TCP message with bytes missing
	// (the snaplen, lost segments) or still incomplete when its direction
	// or the capture ended.
	Cut int
	// Unparsable counts UDP datagrams that start like SIP and TCP stretches
	// that sipgo's parser refused.
	Unparsable int
}

// Scanner reads the SIP messages of a capture one at a time, in bounded
// memory: the capture streams through a pcapio.Reader, and each TCP
// direction has one sipgo stream parser (a message of at most sipgo's
// maximum length), dropped when pcapio drops the direction. Not safe for
// concurrent use.
type Scanner struct {
	rd    *pcapio.Reader
	conv  *converter
	queue []Message
	qi    int
	err   error
}

// NewScanner opens the capture r (see pcapio.NewReader; opts such as
// pcapio.WithLimits go to it).
func NewScanner(r io.Reader, opts ...pcapio.ReaderOption) (*Scanner, error) {
	rd, err := pcapio.NewReader(r, append(opts, pcapio.WithStreamEnds())...)
	if err != nil {
		return nil, err
	}
	return &Scanner{rd: rd, conv: newConverter()}, nil
}

// Next returns the next SIP message in capture order, io.EOF at the end,
// or the capture's damage (after the messages before it; see
// pcapio.Reader.Next). After an error, Next keeps returning it.
func (s *Scanner) Next() (Message, error) {
	for s.qi == len(s.queue) {
		clear(s.queue)
		s.queue, s.conv.out, s.qi = s.conv.out, s.queue[:0], 0
		if len(s.queue) > 0 {
			break
		}
		if s.err != nil {
			return Message{}, s.err
		}
		p, err := s.rd.Next()
		if err != nil {
			s.conv.closeAll()
			s.err = err
			continue
		}
		s.conv.packet(p)
	}
	m := s.queue[s.qi]
	s.qi++
	return m, nil
}

// Stats returns the counts so far.
func (s *Scanner) Stats() Stats {
	st := s.conv.stats
	st.Stats = s.rd.Stats()
	return st
}

// Scan calls fn with each SIP message of the capture r, in capture order,
// streaming (see Scanner), and stops at fn's first error (returned as is).
// On damaged input, the messages before the damage go to fn and Scan
// returns the damage.
func Scan(r io.Reader, fn func(Message) error) error {
	_, err := scan(r, fn)
	if err != nil && !errors.Is(err, errCallback) {
		return wrapRead(err)
	}
	return unwrapCallback(err)
}

// ScanFile is Scan of the capture at path; its errors name the path.
func ScanFile(path string, fn func(Message) error) error {
	f, err := os.Open(path)
	if err != nil {
		return wrapRead(err)
	}
	defer f.Close()
	_, err = scan(f, fn, pcapio.WithName(path))
	return unwrapCallback(err)
}

// errCallback marks an error from Scan's fn, to return it as is.
var errCallback = errors.New("callback")

type callbackErr struct{ err error }

func (e callbackErr) Error() string        { return e.err.Error() }
func (e callbackErr) Is(target error) bool { return target == errCallback }

func unwrapCallback(err error) error {
	var ce callbackErr
	if errors.As(err, &ce) {
		return ce.err
	}
	return err
}

// scan runs a Scanner over r to the end and returns its Stats.
func scan(r io.Reader, fn func(Message) error, opts ...pcapio.ReaderOption) (Stats, error) {
	sc, err := NewScanner(r, opts...)
	if err != nil {
		return Stats{}, err
	}
	for {
		m, err := sc.Next()
		if errors.Is(err, io.EOF) {
			return sc.Stats(), nil
		}
		if err != nil {
			return sc.Stats(), err
		}
		if err := fn(m); err != nil {
			return sc.Stats(), callbackErr{err}
		}
	}
}

// tcpStream is one TCP direction's sipgo stream parser.
type tcpStream struct {
	ps       *sip.ParserStream
	inflight int  // bytes fed to ps that are in no complete message yet
	started  bool // some of them are not CR or LF: a message is under way
}

func (st *tcpStream) reset() {
	st.ps.Reset()
	st.inflight, st.started = 0, false
}

// converter turns Packets into Messages, appended to out.
type converter struct {
	parser  *sip.Parser
	streams map[[2]netip.AddrPort]*tcpStream
	stats   Stats
	out     []Message
}

func newConverter() *converter {
	return &converter{parser: sip.NewParser(), streams: make(map[[2]netip.AddrPort]*tcpStream)}
}

func (c *converter) emit(p pcapio.Packet, m sip.Message) {
	c.stats.Messages++
	c.out = append(c.out, Message{Time: p.Time, Proto: p.Proto, Src: p.Src, Dst: p.Dst, Msg: m})
}

func (c *converter) packet(p pcapio.Packet) {
	switch p.Proto {
	case pcapio.ProtoUDP:
		c.datagram(p)
	case pcapio.ProtoTCP:
		c.segment(p)
	}
}

// datagram parses one UDP payload as one SIP message.
func (c *converter) datagram(p pcapio.Packet) {
	switch {
	case len(pcapio.SIPMessages([]pcapio.Packet{p})) == 0:
		c.stats.NotSIP++ // RTP, STUN, keep-alives: filtered before parsing
	case p.Truncated:
		c.stats.Cut++
	default:
		m, err := c.parser.ParseSIP(p.Payload)
		if err != nil {
			c.stats.Unparsable++
			return
		}
		c.emit(p, m)
	}
}

// segment feeds one TCP payload to its direction's stream parser. A
// direction that stops parsing starts over at its next segment; one with
// bytes missing (Gap) starts over there.
func (c *converter) segment(p pcapio.Packet) {
	key := [2]netip.AddrPort{p.Src, p.Dst}
	st := c.streams[key]
	if p.End {
		if st != nil {
			c.drop(key, st)
		}
		return
	}
	if st == nil {
		st = &tcpStream{ps: c.parser.NewSIPStream()}
		c.streams[key] = st
	}
	if p.Gap && st.inflight > 0 {
		if st.started {
			c.stats.Cut++
		}
		st.reset()
	}
	// What sipgo's ParseSIPStream does, keeping count of the bytes that
	// complete messages consume, to know whether a message is under way.
	data := p.Payload
	st.ps.Write(data)
	wasStarted := st.started
	st.inflight += len(data)
	for st.ps.Buffer().Len() > 0 {
		m, n, err := st.ps.ParseNext()
		if errors.Is(err, io.ErrUnexpectedEOF) {
			break
		}
		if err != nil {
			c.stats.Unparsable++ // not SIP (or damaged): start over at the next segment
			st.reset()
			return
		}
		st.inflight = max(st.inflight-n, 0)
		c.emit(p, m)
	}
	// The bytes in flight are the stream's last st.inflight bytes.
	if st.inflight <= len(data) {
		st.started = bytes.ContainsFunc(data[len(data)-st.inflight:], notCRLF)
	} else {
		st.started = wasStarted || bytes.ContainsFunc(data, notCRLF)
	}
}

func notCRLF(r rune) bool { return r != '\r' && r != '\n' }

// drop forgets a direction; a message it was in the middle of is cut.
func (c *converter) drop(key [2]netip.AddrPort, st *tcpStream) {
	if st.started {
		c.stats.Cut++
	}
	st.ps.Close()
	delete(c.streams, key)
}

// closeAll drops every direction (the capture ended).
func (c *converter) closeAll() {
	for key, st := range c.streams {
		c.drop(key, st)
	}
}

// String summarises the counts for a report: what was read, and each
// non-zero reason something was left out, e.g. "1200 records, 340 SIP
// messages; left out: 3 SIP messages cut (snaplen or missing bytes), 800
// datagrams not SIP".
func (s Stats) String() string {
	out := fmt.Sprintf("%d records, %d SIP messages", s.Records, s.Messages)
	var skips []string
	add := func(n int, what string) {
		if n > 0 {
			skips = append(skips, fmt.Sprintf("%d %s", n, what))
		}
	}
	add(s.Cut, "SIP messages cut (snaplen or missing bytes)")
	add(s.Unparsable, "SIP messages unparsable")
	add(s.NotSIP, "datagrams not SIP")
	add(s.Skipped, "frames not UDP or TCP")
	add(s.FragmentsDropped, "IP fragments never reassembled")
	add(s.TCPGaps, "TCP gaps given up on")
	add(s.FlowsEvicted, "TCP directions evicted")
	if len(skips) > 0 {
		out += "; left out: " + strings.Join(skips, ", ")
	}
	return out
}
