package replay

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/flow"
	"pbxlab/internal/sipwire"
)

// plan is the capture cut into what to send and what to expect.
type plan struct {
	msgs    []sipwire.Message // the messages to or from the SUT, flow order
	sut     []netip.AddrPort  // the SUT's captured addresses
	steps   []*step           // one per message
	parties []*party
	legs    []*leg
	start   time.Time // time of the first message
	// expects are, per party, the indexes of the steps expected at it in
	// this plan, in order; lowest is the first not known settled.
	expects map[*party]*expectList
}

// expectList is a party's expected steps in one plan.
type expectList struct {
	idxs   []int
	lowest int
}

// partyOf returns the party of a captured address (the same across a
// run's windows while its connection is open), making it on first use.
type partyOf func(addr netip.AddrPort, proto string, sut netip.AddrPort) *party

// step is one captured message: sent by a party, or expected from the SUT.
type step struct {
	idx   int
	msg   sipwire.Message
	send  bool
	party *party
	leg   *leg
	pos   int // index in leg.steps
	// prevSend is what an expected message waits on (-1: nothing): a
	// response, the party's last request in its leg; a request, the last
	// send before it in the capture. Its timeout runs from then.
	prevSend int
	// cause is the index of the step a send waits for (-1: the start).
	cause int
	state stepState
}

type stepState uint8

const (
	pending  stepState = iota
	done               // sent, or received
	skipped            // not sent or not received
	resolved           // the leg gave up before it
)

// leg is one party's side of one Call-ID: its steps in order.
type leg struct {
	party  *party
	callID string // captured
	steps  []*step
	live   *legState
	stream *stream // the party's captured RTP (--rtp)
	w      *window // the window it runs in
}

// newPlan keeps the messages between the SUT and the others and sorts
// them into parties (from partyFor) and legs.
func newPlan(msgs []sipwire.Message, sut netip.AddrPort, partyFor partyOf) (*plan, error) {
	var opts []flow.Option
	if sut.IsValid() {
		opts = append(opts, flow.WithSUT(sut))
	}
	p := &plan{sut: flow.SUTAddrs(msgs, opts...), expects: map[*party]*expectList{}}
	if sut.IsValid() && !slices.Contains(p.sut, sut) {
		p.sut = append(p.sut, sut)
	}
	isSUT := func(a netip.AddrPort) bool { return slices.Contains(p.sut, a) }
	parties := map[netip.AddrPort]*party{}
	legs := map[string]*leg{}
	lastSend := -1
	for _, m := range flow.Order(msgs) {
		send := !isSUT(m.Src) && isSUT(m.Dst)
		if !send && !(isSUT(m.Src) && !isSUT(m.Dst)) {
			continue // not the SUT's, or the SUT to itself
		}
		if m.Msg.CSeq() == nil || m.Msg.CallID() == nil {
			continue
		}
		addr, sutAddr := m.Src, m.Dst
		if !send {
			addr, sutAddr = m.Dst, m.Src
		}
		pt := parties[addr]
		if pt == nil {
			pt = partyFor(addr, m.Proto, sutAddr)
			parties[addr] = pt
			p.parties = append(p.parties, pt)
			p.expects[pt] = &expectList{}
		}
		exp := p.expects[pt]
		callID := m.Msg.CallID().Value()
		key := strconv.Itoa(pt.id) + "|" + callID
		lg := legs[key]
		if lg == nil {
			lg = &leg{party: pt, callID: callID}
			legs[key] = lg
			p.legs = append(p.legs, lg)
		}
		s := &step{idx: len(p.steps), msg: m, send: send, party: pt, leg: lg, pos: len(lg.steps), prevSend: lastSend, cause: -1}
		if send {
			lastSend = s.idx
			if s.pos > 0 {
				s.cause = lg.steps[s.pos-1].idx
			} else if n := len(exp.idxs); n > 0 {
				s.cause = exp.idxs[n-1]
			}
		} else {
			exp.idxs = append(exp.idxs, s.idx)
			if _, isRes := m.Msg.(*sip.Response); isRes {
				for k := len(lg.steps) - 1; k >= 0; k-- {
					if lg.steps[k].send {
						s.prevSend = lg.steps[k].idx
						break
					}
				}
			}
		}
		lg.steps = append(lg.steps, s)
		p.steps = append(p.steps, s)
		p.msgs = append(p.msgs, m)
	}
	if len(p.steps) == 0 {
		return nil, fmt.Errorf("replay: %w", ErrNoSIP)
	}
	p.start = p.msgs[0].Time
	return p, nil
}

// label is what matching compares: "INVITE" or "180 INVITE".
func label(m sip.Message) string {
	cs := ""
	if c := m.CSeq(); c != nil {
		cs = string(c.MethodName)
	}
	switch v := m.(type) {
	case *sip.Request:
		return string(v.Method)
	case *sip.Response:
		return strconv.Itoa(v.StatusCode) + " " + cs
	}
	return "?"
}

// cseqKey names a transaction within a Call-ID: "2 INVITE".
func cseqKey(m sip.Message) string {
	if c := m.CSeq(); c != nil {
		return strconv.FormatUint(uint64(c.SeqNo), 10) + " " + string(c.MethodName)
	}
	return ""
}
