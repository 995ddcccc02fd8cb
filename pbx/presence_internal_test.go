package pbx

import (
	"slices"
	"sync"
	"testing"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/dialoginfo"
	"pbxlab/pbx/internal/call"
)

// blfRecorder records which lines blf told the watchers of.
type blfRecorder struct {
	mu  sync.Mutex
	got []string
}

func (r *blfRecorder) notify(n string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, n)
}

func (r *blfRecorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.got
	r.got = nil
	slices.Sort(out)
	return out
}

func incoming(callID, caller, dialled string, trusted bool) call.Incoming {
	req := sip.NewRequest(sip.INVITE, sip.Uri{Scheme: "sip", User: dialled, Host: "pbx"})
	cid := sip.CallIDHeader(callID)
	req.AppendHeader(&cid)
	return call.Incoming{Request: req, Caller: call.Caller{Number: caller, Trusted: trusted}, Dialled: dialled}
}

func lamp(b *blf, number string) (string, string) {
	return dialoginfo.Info{Dialogs: b.line(number, "pbx")}.Summary()
}

// TestBLFLines: the line state through a call's moments, and who is told.
func TestBLFLines(t *testing.T) {
	rec := &blfRecorder{}
	b := &blf{notify: rec.notify}
	type want struct{ number, state, direction string }
	check := func(step string, told []string, ws ...want) {
		t.Helper()
		if got := rec.take(); !slices.Equal(got, told) {
			t.Errorf("%s: told %v, want %v", step, got, told)
		}
		for _, w := range ws {
			if st, dir := lamp(b, w.number); st != w.state || dir != w.direction {
				t.Errorf("%s: %s is %s/%s, want %s/%s", step, w.number, st, dir, w.state, w.direction)
			}
		}
	}
	b.decided(incoming("c1", "1001", "1002", false), call.Decision{Kind: call.ToSubscriber, Callee: "1002"})
	check("ringing", []string{"1001", "1002"}, want{"1001", dialoginfo.Trying, dialoginfo.Initiator}, want{"1002", dialoginfo.Early, dialoginfo.Recipient})
	b.decided(incoming("c1", "1001", "1002", false), call.Decision{Kind: call.ToSubscriber, Callee: "1002"})
	check("the same again", nil)
	b.failedOver(call.Failure{Caller: call.Caller{Number: "1001"}, Callee: "1002", Call: nil}, nil)
	check("a failure without a call", nil)
	b.answered("c1", "1001", "1002")
	check("answered", []string{"1001", "1002"}, want{"1001", dialoginfo.Confirmed, dialoginfo.Initiator}, want{"1002", dialoginfo.Confirmed, dialoginfo.Recipient})
	b.decided(incoming("c2", "1003", "1002", false), call.Decision{Kind: call.ToSubscriber, Callee: "1002"})
	check("a second call rings the talking line", []string{"1002", "1003"}, want{"1002", dialoginfo.Confirmed, dialoginfo.Recipient})
	b.ended("c1")
	check("the first ends", []string{"1001", "1002"}, want{"1001", dialoginfo.Terminated, ""}, want{"1002", dialoginfo.Early, dialoginfo.Recipient})
	b.ended("c2")
	check("the second ends", []string{"1002", "1003"}, want{"1002", dialoginfo.Terminated, ""}, want{"1003", dialoginfo.Terminated, ""})
	b.decided(incoming("c3", "trunk", "1004", true), call.Decision{Kind: call.ToSubscriber, Callee: "1004"})
	check("a trunk's call", []string{"1004"}, want{"trunk", dialoginfo.Terminated, ""}, want{"1004", dialoginfo.Early, dialoginfo.Recipient})
	b.answered("c3", "trunk", "1005")
	check("answered by another (a pickup-like answer)", []string{"1004", "1005"}, want{"1004", dialoginfo.Terminated, ""}, want{"1005", dialoginfo.Confirmed, dialoginfo.Recipient})
	b.ended("c3")
	check("ended", []string{"1005"})
	b.decided(incoming("c4", "1001", "600", false), call.Decision{Kind: call.ToService, Callee: "600"})
	check("a call to a service", []string{"1001"}, want{"1001", dialoginfo.Trying, dialoginfo.Initiator})
	b.ended("c4")
	check("ended", []string{"1001"})
	if len(b.calls) != 0 {
		t.Errorf("calls left: %v", b.calls)
	}
}
