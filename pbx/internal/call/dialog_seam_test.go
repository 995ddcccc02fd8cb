package call_test

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/sdpneg"
	"pbxlab/internal/testua"
	"pbxlab/pbx"
	"pbxlab/pbx/internal/call"
	"pbxlab/pbx/pbxtest/vnet"
)

// dlgMarkSeam is a Media seam that rewrites every SDP it passes: it appends
// the attribute line a=x-seam:<n> (n counts the passes; the SDP stays
// valid) and records what went in and came out. One seam serves every
// bridge, so the count is global.
type dlgMarkSeam struct {
	mu     sync.Mutex
	passes []dlgSeamPass
}

type dlgSeamPass struct {
	kind     string // "offer" or "answer"
	from, to string // leg IDs
	in, out  []byte
}

const dlgSeamMark = "a=x-seam:"

func (s *dlgMarkSeam) Offer(from, to *call.Leg, b []byte) ([]byte, error) {
	return s.mark("offer", from, to, b), nil
}

func (s *dlgMarkSeam) Answer(from, to *call.Leg, b []byte) ([]byte, error) {
	return s.mark("answer", from, to, b), nil
}

func (s *dlgMarkSeam) Close() {}

func (s *dlgMarkSeam) mark(kind string, from, to *call.Leg, b []byte) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := bytes.Clone(b)
	if !bytes.HasSuffix(out, []byte("\r\n")) {
		out = append(out, "\r\n"...)
	}
	out = fmt.Appendf(out, "%s%d\r\n", dlgSeamMark, len(s.passes)+1)
	s.passes = append(s.passes, dlgSeamPass{kind: kind, from: from.ID(), to: to.ID(), in: bytes.Clone(b), out: out})
	return bytes.Clone(out)
}

// saw reports whether body went in (in) or came out (!in) of the seam.
func (s *dlgMarkSeam) saw(body []byte, in bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.passes {
		if (in && bytes.Equal(p.in, body)) || (!in && bytes.Equal(p.out, body)) {
			return true
		}
	}
	return false
}

// dlgSDPRecords are the records among recs that carry an SDP body.
func dlgSDPRecords(recs []*testua.Record) []*testua.Record {
	var out []*testua.Record
	for _, r := range recs {
		if r.Msg == nil || len(r.Msg.Body()) == 0 {
			continue
		}
		if h := r.Msg.GetHeaders("Content-Type"); len(h) > 0 && strings.HasPrefix(strings.ToLower(h[0].Value()), "application/sdp") {
			out = append(out, r)
		}
	}
	return out
}

// dlgAwaitEarly waits until the caller has the 183 of c: a 200 sent at the
// same instant could overtake it in the PBX (sipgo handles each message
// in its own goroutine), and a provisional response after the 2xx is
// dropped by the client transaction.
func dlgAwaitEarly(t *testing.T, c *dlgCall) {
	t.Helper()
	ctx, cancel := dlgWaitCtx(t)
	defer cancel()
	res, err := c.e.caller.Await(ctx, testua.And(testua.Of(c.inv.Request()), testua.Status(183)))
	if err != nil {
		t.Fatalf("no 183: %v", err)
	}
	if len(res.Msg.Body()) == 0 {
		t.Errorf("183 without SDP at the caller")
	}
}

// TestDialogSeamSeesEverySDP: a call with early media, an answer, re-INVITEs
// both ways with and without SDP and UPDATEs both ways, then a late-offer
// call: every SDP body the PBX sent on any leg (requests, responses, ACKs)
// came out of the Media seam, and every SDP an endpoint sent went into it.
func TestDialogSeamSeesEverySDP(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		seam := &dlgMarkSeam{}
		e := newDlgEnv(t, vnet.WithPBXOptions(pbx.WithCallOptions(call.WithMedia(func(*call.Call) call.Media { return seam }))))

		// call 1: offer in the INVITE, early media, answer
		c := e.ring(dlgSDP("offer-1"))
		early := c.in.NewResponse(183, "Session Progress")
		testua.SetBody(early, "application/sdp", dlgSDP("early-1"))
		dlgRespond(t, c.in, early)
		dlgAwaitEarly(t, c)
		ok := c.in.NewResponse(200, "OK")
		testua.SetBody(ok, "application/sdp", dlgSDP("answer-1"))
		dlgRespond(t, c.in, ok)
		dlgFinal(t, c.inv)
		if _, err := c.inv.Ack(nil); err != nil {
			t.Fatal(err)
		}
		dlgAwaitAck(t, c.in)
		c.cd, c.ed = c.inv.Dialog(), c.in.Dialog()

		for _, dir := range []string{"caller", "callee"} {
			snd, far := c.sides(dir)
			for _, late := range []bool{false, true} {
				re := snd.d.NewRequest(sip.INVITE)
				if !late {
					testua.SetBody(re, "application/sdp", dlgSDP("reoffer-"+dir))
				}
				tx := dlgStart(t, snd, re)
				in := dlgAwait(t, far.ua, testua.And(testua.Method(sip.INVITE), dlgInDialog()))
				ok := in.NewResponse(200, "OK")
				testua.SetBody(ok, "application/sdp", dlgSDP("re200-"+dir))
				dlgRespond(t, in, ok)
				dlgFinal(t, tx)
				var answer []byte
				if late {
					answer = dlgSDP("reack-" + dir)
				}
				if _, err := tx.Ack(answer); err != nil {
					t.Fatal(err)
				}
				dlgAwaitAck(t, in)
			}
			up := snd.d.NewRequest(sip.UPDATE)
			testua.SetBody(up, "application/sdp", dlgSDP("update-"+dir))
			tx := dlgStart(t, snd, up)
			in := dlgAwait(t, far.ua, testua.Method(sip.UPDATE))
			ok := in.NewResponse(200, "OK")
			testua.SetBody(ok, "application/sdp", dlgSDP("update200-"+dir))
			dlgRespond(t, in, ok)
			dlgFinal(t, tx)
		}
		dlgFinal(t, dlgStart(t, dlgSide{"caller", e.caller, c.cd}, c.cd.NewRequest(sip.BYE)))

		// call 2: late offer, early media
		c = e.ring(nil)
		early = c.in.NewResponse(183, "Session Progress")
		testua.SetBody(early, "application/sdp", dlgSDP("early-2"))
		dlgRespond(t, c.in, early)
		dlgAwaitEarly(t, c)
		ok = c.in.NewResponse(200, "OK")
		testua.SetBody(ok, "application/sdp", dlgSDP("offer-2"))
		dlgRespond(t, c.in, ok)
		dlgFinal(t, c.inv)
		if _, err := c.inv.Ack(dlgSDP("answer-2")); err != nil {
			t.Fatal(err)
		}
		dlgAwaitAck(t, c.in)
		dlgFinal(t, dlgStart(t, dlgSide{"caller", e.caller, c.inv.Dialog()}, c.inv.Dialog().NewRequest(sip.BYE)))
		synctest.Wait()

		// 3 + 2*(2+2+2) + 3 bodies reached the endpoints (no retransmission)
		var got []*testua.Record
		for _, u := range []*testua.UA{e.caller, e.callee} {
			got = append(got, dlgSDPRecords(u.Received(nil))...)
		}
		if len(got) < 18 {
			t.Errorf("the endpoints got %d SDP bodies, want at least 18", len(got))
		}
		for _, r := range got {
			body := r.Msg.Body()
			if !bytes.Contains(body, []byte(dlgSeamMark)) || !seam.saw(body, false) {
				t.Errorf("an SDP crossed without the seam: %s\n%s", r, body)
				continue
			}
			if _, err := sdpneg.Parse(body); err != nil {
				t.Errorf("the seam's SDP does not parse: %v\n%s", err, body)
			}
		}
		for _, u := range []*testua.UA{e.caller, e.callee} {
			for _, r := range dlgSDPRecords(u.Sent(nil)) {
				if !seam.saw(r.Msg.Body(), true) {
					t.Errorf("an endpoint's SDP never went into the seam: %s\n%s", r, r.Msg.Body())
				}
			}
		}
	})
}
