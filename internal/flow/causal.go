package flow

import (
	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/rel100"
	"pbxlab/internal/sipwire"
)

// causal puts every message after the messages that caused it. A capture
// taken at a process's sockets that records a write when the socket call
// returns (pbxlab's taps did until they recorded before the call, and
// other tools' may) can hold a local peer's answer before what it answers,
// so the raw order depends on scheduling. A message's
// cause, when the capture holds it:
//
//   - a response: its request (same Call-ID and CSeq, the other way);
//   - an ACK: the final response to the INVITE of its CSeq (RFC 3261
//     §17.1.1.3, §13.2.2.4);
//   - a PRACK: the reliable provisional response its RAck names (RFC 3262
//     §7.2: RSeq, CSeq number and method) in the same Call-ID;
//   - any other request: the final response to the previous request of
//     the same method its sender made in the same Call-ID (a retry with
//     credentials after a 401/407, the next NOTIFY after the last one's
//     200); failing that, for a request inside a dialog (with a To tag),
//     the 2xx to the INVITE that set the dialog up (a caller that hangs
//     up at once sends its BYE before the PBX's write of the 200 is
//     recorded).
//
// A message whose cause has not come out yet (it is later in the capture,
// or itself held back) is held back until just after it; the order of
// everything else is kept.
func causal(msgs []sipwire.Message) []sipwire.Message {
	cause := causes(msgs)
	emitted := make([]bool, len(msgs))
	held := map[int][]int{}
	out := make([]sipwire.Message, 0, len(msgs))
	var emit func(i int)
	emit = func(i int) {
		out = append(out, msgs[i])
		emitted[i] = true
		deps := held[i]
		delete(held, i)
		for _, j := range deps {
			emit(j)
		}
	}
	for i, c := range cause {
		if c >= 0 && c != i && !emitted[c] {
			// its cause is later in the capture, or itself held back
			held[c] = append(held[c], i)
			continue
		}
		emit(i)
	}
	for i := range msgs {
		if !emitted[i] { // a cause that never came out: keep the message
			emit(i)
		}
	}
	return out
}

type txID struct {
	callID string
	seq    uint32
	method sip.RequestMethod
}

// causes returns for each message the index of its cause, -1 if none.
// Causes that come later point at messages whose own cause does not
// (a request never waits for a later response to itself), so holding
// back is acyclic.
func causes(msgs []sipwire.Message) []int {
	type reqKey struct {
		tx       txID
		src, dst string
	}
	requests := map[reqKey]int{} // first index of each request
	finals := map[reqKey]int{}   // first final response, keyed by its request
	setups := map[string]int{}   // first 2xx to an INVITE, by Call-ID and tag pair
	type relKey struct {
		callID string
		rack   rel100.RAck
	}
	reliable := map[relKey]int{} // first reliable provisional, by what a PRACK's RAck names
	type senderKey struct {
		callID, src string
		method      sip.RequestMethod
	}
	for i, m := range msgs {
		cs := m.Msg.CSeq()
		if cs == nil {
			continue
		}
		tx := txID{callIDOf(m.Msg), cs.SeqNo, cs.MethodName}
		switch v := m.Msg.(type) {
		case *sip.Request:
			k := reqKey{tx, m.Src.String(), m.Dst.String()}
			if _, ok := requests[k]; !ok {
				requests[k] = i
			}
		case *sip.Response:
			k := reqKey{tx, m.Dst.String(), m.Src.String()}
			if _, ok := finals[k]; !ok && v.StatusCode >= 200 {
				finals[k] = i
			}
			if rseq, ok := rel100.Reliable(v); ok && v.StatusCode < 200 {
				rk := relKey{tx.callID, rel100.RAck{RSeq: rseq, CSeq: cs.SeqNo, Method: cs.MethodName}}
				if _, ok := reliable[rk]; !ok {
					reliable[rk] = i
				}
			}
			if d := dialogKey(m.Msg); d != "" && v.StatusCode/100 == 2 && cs.MethodName == sip.INVITE {
				if _, ok := setups[d]; !ok {
					setups[d] = i
				}
			}
		}
	}
	out := make([]int, len(msgs))
	prev := map[senderKey]reqKey{} // the sender's previous request in the call
	for i, m := range msgs {
		out[i] = -1
		cs := m.Msg.CSeq()
		if cs == nil {
			continue
		}
		tx := txID{callIDOf(m.Msg), cs.SeqNo, cs.MethodName}
		switch v := m.Msg.(type) {
		case *sip.Response:
			if r, ok := requests[reqKey{tx, m.Dst.String(), m.Src.String()}]; ok {
				out[i] = r
			}
		case *sip.Request:
			k := reqKey{tx, m.Src.String(), m.Dst.String()}
			switch v.Method {
			case sip.ACK:
				inv := reqKey{txID{tx.callID, tx.seq, sip.INVITE}, k.src, k.dst}
				if f, ok := finals[inv]; ok {
					out[i] = f
				}
			case sip.CANCEL:
			case sip.PRACK:
				if rack, err := rel100.RAckOf(v); err == nil {
					if r, ok := reliable[relKey{tx.callID, rack}]; ok {
						out[i] = r
					}
				}
			default:
				sk := senderKey{tx.callID, k.src, tx.method}
				if p, ok := prev[sk]; ok && p.tx.seq < tx.seq {
					if f, ok := finals[p]; ok && requests[p] < i {
						out[i] = f
					}
				}
				if requests[k] == i {
					prev[sk] = k
				}
				// a BYE, re-INVITE or REFER needs the confirmed dialog; a
				// PRACK, UPDATE or INFO may go in the early one (RFC 3262,
				// 3311, 6086), before the 2xx
				if d := dialogKey(m.Msg); out[i] < 0 && d != "" && needsConfirmed(v.Method) {
					if f, ok := setups[d]; ok {
						out[i] = f
					}
				}
			}
		}
	}
	return out
}

// needsConfirmed reports whether an in-dialog request of method m can be
// sent only once the dialog is confirmed (after the INVITE's 2xx).
func needsConfirmed(m sip.RequestMethod) bool {
	switch m {
	case sip.BYE, sip.INVITE, sip.REFER:
		return true
	}
	return false
}

func callIDOf(m sip.Message) string {
	if c := m.CallID(); c != nil {
		return c.Value()
	}
	return ""
}

// dialogKey is the Call-ID and the tag pair of a message with both tags,
// "" otherwise.
func dialogKey(m sip.Message) string {
	from, to := "", ""
	if h := m.From(); h != nil {
		from, _ = h.Params.Get("tag")
	}
	if h := m.To(); h != nil {
		to, _ = h.Params.Get("tag")
	}
	if from == "" || to == "" {
		return ""
	}
	return callIDOf(m) + "\x00" + min(from, to) + "\x00" + max(from, to)
}
