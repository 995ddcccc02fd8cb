package replay

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"pbxlab/internal/flow"
	"pbxlab/internal/pcapio"
	"pbxlab/internal/sipwire"
)

// Verdict is the outcome of one dialog (one Call-ID placeholder of the
// capture's flow).
type Verdict struct {
	Call       string // "D1"
	Equivalent bool
	// Step is the 1-based line of the dialog's diff where it first
	// differs (0 when equivalent); Expected is the capture's message
	// there, Got the target's ("" when none).
	Step          int
	Expected, Got string
	// Notes say why the replay of a leg stopped (a timeout, a challenge
	// without credentials).
	Notes []string
}

// Report is the comparison of the live exchange with the capture.
type Report struct {
	Target    string
	Verdicts  []Verdict
	Result    flow.Result
	Reference flow.Flow
	Live      flow.Flow
	// Sent and Received count the live messages (retransmissions from
	// the target not counted); Duration is the run's.
	Sent, Received int
	Duration       time.Duration
	// RTPSent counts the RTP packets sent (--rtp); MediaNotes say which
	// streams were not sent and why.
	RTPSent    int
	MediaNotes []string
	// Windows is how many windows the capture was replayed in (see
	// Windowing): with more than one, Verdicts and Result list at most
	// Windowing.Verdicts dialogs of each kind (Omitted counts the
	// others), and Reference and Live are empty (no ladders).
	Windows, Omitted int
	// Late counts the messages dropped as late: the capture's, of a
	// dialog already replayed; the target's, of one already compared.
	Late int
	// Peak is the most the replayer held at once.
	Peak Retained

	dialogs, divergent int
	refPkts, livePkts  []pcapio.Packet
}

// Equivalent reports whether every dialog matched the capture.
func (r *Report) Equivalent() bool { return r.divergent == 0 }

// Dialogs is the number of dialogs compared.
func (r *Report) Dialogs() int { return r.dialogs }

// Divergent is the number of dialogs that differ.
func (r *Report) Divergent() int { return r.divergent }

// compare compares a window's recorded live exchange with its capture:
// a report of that window alone.
func (r *Replayer) compare(w *window) *Report {
	recs := slices.Clone(w.records)
	slices.SortStableFunc(recs, func(a, b record) int { return cmp.Or(cmp.Compare(a.key, b.key), cmp.Compare(a.seq, b.seq)) })
	live := make([]sipwire.Message, len(recs))
	for i, rc := range recs {
		live[i] = rc.msg
	}
	opt := flow.WithSUT(w.plan.sut[0])
	rep := &Report{Reference: flow.New(w.plan.msgs, opt), Live: flow.New(live, opt)}
	if r.seq == 1 && r.src.exhausted() { // the run is this window: its ladders are drawn
		rep.refPkts, rep.livePkts = packets(w.plan.msgs), packets(live)
	}
	rep.Result = flow.Compare(rep.Reference, rep.Live, r.cfg.Tolerances...)
	names := flow.CallNames(w.plan.msgs)
	notes := map[string][]string{}
	roles := map[string]string{} // address -> role, "" when several parties share it
	for _, p := range rep.Reference.Parties {
		for _, a := range p.Addrs {
			if prev, ok := roles[a.String()]; ok && prev != p.Role {
				roles[a.String()] = ""
			} else {
				roles[a.String()] = p.Role
			}
		}
	}
	for _, lg := range w.plan.legs {
		if lg.live.failed == "" {
			continue
		}
		who := roles[lg.party.addr.String()]
		if who == "" {
			who = lg.party.addr.String()
		}
		notes[names[lg.callID]] = append(notes[names[lg.callID]], who+": "+lg.live.failed)
	}
	unacked := map[string][]resent{}
	for _, lg := range w.plan.legs {
		if u := lg.live.unacked(); len(u) > 0 {
			unacked[names[lg.callID]] = append(unacked[names[lg.callID]], u...)
		}
	}
	for _, dr := range rep.Result.Dialogs {
		v := Verdict{Call: dr.Call, Equivalent: dr.Equal() && len(notes[dr.Call]) == 0, Notes: notes[dr.Call]}
		if i := dr.FirstDifference(); i >= 0 {
			v.Step = i + 1
			for _, l := range dr.Lines[i:] {
				if l.Op == flow.Missing && v.Expected == "" {
					v.Expected = l.Text
				}
				if l.Op == flow.Extra && v.Got == "" {
					v.Got = l.Text
				}
				if l.Op == flow.Same {
					break
				}
			}
		} else if !v.Equivalent {
			v.Step = len(dr.Lines) + 1
		}
		if v.Equivalent {
			unackedVerdict(&v, dr, unacked[dr.Call])
		}
		rep.Verdicts = append(rep.Verdicts, v)
	}
	return rep
}

func packets(msgs []sipwire.Message) []pcapio.Packet {
	out := make([]pcapio.Packet, len(msgs))
	for i, m := range msgs {
		out[i] = pcapio.Packet{Time: m.Time, Proto: m.Proto, Src: m.Src, Dst: m.Dst, Payload: []byte(m.Msg.String())}
	}
	return out
}

// WriteText writes a verdict per dialog, then the diff of those that
// differ ("-" in the capture only, "+" from the target only) and a
// summary line.
func (r *Report) WriteText(w io.Writer) error {
	bw := bufio.NewWriter(w)
	byCall := map[string]flow.DialogResult{}
	for _, d := range r.Result.Dialogs {
		byCall[d.Call] = d
	}
	for _, v := range r.Verdicts {
		if v.Equivalent {
			fmt.Fprintf(bw, "%s: equivalent (%d messages)\n", v.Call, len(byCall[v.Call].Lines))
			continue
		}
		fmt.Fprintf(bw, "%s: divergent at step %d: expected %s, got %s\n", v.Call, v.Step, orNone(v.Expected), orNone(v.Got))
		for _, n := range v.Notes {
			fmt.Fprintf(bw, "  # %s\n", n)
		}
		for _, l := range byCall[v.Call].Lines {
			fmt.Fprintf(bw, "  %c %s\n", l.Op, l.Text)
		}
	}
	for _, n := range r.MediaNotes {
		fmt.Fprintf(bw, "# %s\n", n)
	}
	if r.RTPSent > 0 {
		fmt.Fprintf(bw, "%d RTP packets sent\n", r.RTPSent)
	}
	if r.Windows > 1 || r.Late > 0 {
		fmt.Fprintf(bw, "windowed: %d windows; %d verdicts not listed; %d late messages dropped; held at most %d windows, %d dialogs, %d messages\n",
			r.Windows, r.Omitted, r.Late, r.Peak.Windows, r.Peak.Dialogs, r.Peak.Messages)
	}
	fmt.Fprintf(bw, "replayed against %s: %d dialogs, %d equivalent, %d divergent; %d sent, %d received in %s\n",
		r.Target, r.Dialogs(), r.Dialogs()-r.Divergent(), r.Divergent(), r.Sent, r.Received, r.Duration.Round(time.Millisecond))
	return bw.Flush()
}

// String is WriteText's text.
func (r *Report) String() string {
	var b strings.Builder
	_ = r.WriteText(&b)
	return b.String()
}

func orNone(s string) string {
	if s == "" {
		return "nothing"
	}
	return s
}

// unackedVerdict makes v divergent when the target retransmitted a final
// response the party never ACKed: the flows agree (retransmissions are not
// in them), but the target reacts to the ACK the capture lacks. The step is
// the one after that response, where the ACK would be.
func unackedVerdict(v *Verdict, dr flow.DialogResult, u []resent) {
	if len(u) == 0 {
		return
	}
	rs := u[0]
	v.Equivalent = false
	v.Step = len(dr.Lines) + 1
	for i := len(dr.Lines) - 1; i >= 0; i-- {
		if strings.Contains(dr.Lines[i].Text, " "+rs.label) {
			v.Step = i + 2
			break
		}
	}
	v.Got = fmt.Sprintf("%s retransmitted %d time(s): no ACK", rs.label, rs.n)
	v.Notes = append(v.Notes, "the target retransmitted "+rs.label+": the party sent no ACK for it")
}
