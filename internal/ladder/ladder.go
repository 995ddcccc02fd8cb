// Package ladder draws the SIP messages of a capture as a ladder diagram
// (a sequence diagram): one column per endpoint (address and port), one
// arrow per message from its source to its destination, labelled with the
// request's method or the response's status and the CSeq it answers, time
// flowing down. The output is a self-contained SVG (no script, no external
// reference) meant to be inlined in an HTML report.
//
// Messages are read with internal/pcapio and parsed with sipgo: each UDP
// datagram on its own, each TCP direction as a stream. RTP and anything
// else that is not SIP is left out.
package ladder

import (
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/pcapio"
	"pbxlab/internal/sipwire"
)

// DefaultMaxMessages bounds the arrows of a diagram (see WithMaxMessages).
const DefaultMaxMessages = 400

// Message is one SIP message on the wire.
type Message struct {
	Time     time.Time
	Src, Dst netip.AddrPort
	// Label is the method of a request ("INVITE") or the status of a
	// response ("180 Ringing").
	Label string
	// Detail is a short description shown as the arrow's tooltip: the
	// CSeq and the Call-ID.
	Detail string
	// Response reports whether the message is a response (drawn dashed).
	Response bool
	// CallID and CSeq ("2 REGISTER") identify the transaction, to draw a
	// response after its request (see New).
	CallID, CSeq string
}

// Endpoint is one column of the diagram.
type Endpoint struct {
	Addr netip.AddrPort
	// Name is shown above the address ("target", "PBX"); "" shows the
	// address alone.
	Name string
}

// Diagram is a ladder ready to draw.
type Diagram struct {
	Endpoints []Endpoint
	Messages  []Message
	// Omitted counts the messages left out beyond the maximum.
	Omitted int
}

// Option configures New.
type Option func(*options)

type options struct {
	names map[netip.AddrPort]string
	max   int
}

// WithName names the column of addr.
func WithName(addr netip.AddrPort, name string) Option {
	return func(o *options) { o.names[addr] = name }
}

// WithMaxMessages bounds the number of arrows (default
// DefaultMaxMessages); the rest are counted in Diagram.Omitted.
func WithMaxMessages(n int) Option {
	return func(o *options) {
		if n > 0 {
			o.max = n
		}
	}
}

// New lays the messages out: they are ordered by time (stable), a response
// recorded before its request is moved just after it (a capture taken by a
// tap that records a write when the socket call returns, as pbxlab's did
// before, may hold a local peer's answer first), and the endpoints become
// columns in the order they first appear.
func New(msgs []Message, opts ...Option) Diagram {
	o := options{names: map[netip.AddrPort]string{}, max: DefaultMaxMessages}
	for _, opt := range opts {
		opt(&o)
	}
	msgs = slices.Clone(msgs)
	slices.SortStableFunc(msgs, func(a, b Message) int { return a.Time.Compare(b.Time) })
	msgs = causal(msgs)
	var d Diagram
	if len(msgs) > o.max {
		d.Omitted = len(msgs) - o.max
		msgs = msgs[:o.max]
	}
	seen := map[netip.AddrPort]bool{}
	add := func(a netip.AddrPort) {
		if !seen[a] {
			seen[a] = true
			d.Endpoints = append(d.Endpoints, Endpoint{Addr: a, Name: o.names[a]})
		}
	}
	for _, m := range msgs {
		add(m.Src)
		add(m.Dst)
	}
	d.Messages = msgs
	return d
}

// txKey identifies a request by its transaction and direction; a
// response has the key of its request.
type txKey struct {
	callID, cseq string
	src, dst     netip.AddrPort
}

func keyOf(m Message) (txKey, bool) {
	if m.CallID == "" || m.CSeq == "" {
		return txKey{}, false
	}
	if m.Response {
		return txKey{m.CallID, m.CSeq, m.Dst, m.Src}, true
	}
	return txKey{m.CallID, m.CSeq, m.Src, m.Dst}, true
}

// causal moves every response that precedes its request to just after
// the request, keeping the order of everything else.
func causal(msgs []Message) []Message {
	firstReq := map[txKey]int{}
	for i, m := range msgs {
		if k, ok := keyOf(m); ok && !m.Response {
			if _, seen := firstReq[k]; !seen {
				firstReq[k] = i
			}
		}
	}
	out := make([]Message, 0, len(msgs))
	held := map[txKey][]Message{}
	for i, m := range msgs {
		k, ok := keyOf(m)
		if ok && m.Response {
			if j, found := firstReq[k]; found && j > i {
				held[k] = append(held[k], m)
				continue
			}
		}
		out = append(out, m)
		if ok && !m.Response && firstReq[k] == i {
			out = append(out, held[k]...)
			delete(held, k)
		}
	}
	return out
}

// FromPackets returns the SIP messages among captured packets, in capture
// order.
func FromPackets(pkts []pcapio.Packet) []Message {
	wire := sipwire.FromPackets(pkts)
	out := make([]Message, 0, len(wire))
	for _, w := range wire {
		out = append(out, describe(w))
	}
	return out
}

// ReadFile returns the SIP messages of the capture at path; on a damaged
// capture, those before the damage and the error.
func ReadFile(path string) ([]Message, error) {
	pkts, err := pcapio.ReadFile(path)
	msgs := FromPackets(pkts)
	if err != nil {
		return msgs, fmt.Errorf("read ladder %s: %w", path, err)
	}
	return msgs, nil
}

func describe(w sipwire.Message) Message {
	m := w.Msg
	out := Message{Time: w.Time, Src: w.Src, Dst: w.Dst}
	switch v := m.(type) {
	case *sip.Request:
		out.Label = string(v.Method)
	case *sip.Response:
		out.Label = fmt.Sprintf("%d %s", v.StatusCode, v.Reason)
		out.Response = true
	}
	if c := m.CSeq(); c != nil {
		out.Detail = "CSeq: " + c.Value()
		out.CSeq = c.Value()
	}
	if c := m.CallID(); c != nil {
		out.CallID = c.Value()
		if out.Detail != "" {
			out.Detail += "; "
		}
		out.Detail += "Call-ID: " + c.Value()
	}
	if out.Response && m.CSeq() != nil {
		out.Label += " (" + string(m.CSeq().MethodName) + ")"
	}
	return out
}
