package phone

import (
	"net/netip"
	"testing"
	"testing/synctest"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/memnet"
	"pbxlab/internal/sdpneg"
)

// TestRetransmitted2xxACKedAgain: the far end's 200 to an INVITE arrives
// three times, T1 apart (as if our ACKs were lost). The phone ACKs every copy (RFC 3261
// §13.2.2.4), each ACK a request of its own (a Via with a new branch) in
// the dialog (CSeq of the INVITE, To tag of the 200), to the 200's
// Contact; the same SDP answer on two calls is accepted both times (the
// second from the Agent's record of the first).
func TestRetransmitted2xxACKedAgain(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		nw := memnet.New()
		rs := newRawServer(t, nw, "10.0.0.9:5060")
		srv, msgs, from := rs.srv, rs.msgs, rs.from
		answer, err := sdpneg.Offer(netip.MustParseAddrPort("10.0.0.9:4000"), sdpneg.DefaultCodecs(), 7)
		if err != nil {
			t.Fatal(err)
		}
		agent := newTestAgent(t, Config{LocalIP: netip.MustParseAddr("10.0.0.1"), ListenPacket: nw.ListenPacket,
			SignallingOnly: true, Target: "10.0.0.9:5060"})
		p := newTestPhone(t, agent, PhoneConfig{Number: "1000"})
		for n := range 2 {
			call, err := p.Dial(t.Context(), "2000")
			if err != nil {
				t.Fatal(err)
			}
			var (
				invite   *sip.Request
				ok       *sip.Response
				branches []string
			)
			timeout := time.After(5 * time.Second)
		loop:
			for {
				select {
				case req := <-msgs:
					addr := <-from
					switch req.Method {
					case sip.INVITE:
						invite = req
						ok = sip.NewResponseFromRequest(req, 200, "OK", answer)
						ok.To().Params.Add("tag", "far")
						ok.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "2000", Host: "10.0.0.9", Port: 5060}})
						ok.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
						if _, err := srv.WriteTo([]byte(ok.String()), addr); err != nil {
							t.Fatal(err)
						}
					case sip.ACK:
						if tag, _ := req.To().Params.Get("tag"); tag != "far" || req.CSeq().SeqNo != invite.CSeq().SeqNo ||
							req.Recipient.User != "2000" || req.CallID().Value() != invite.CallID().Value() {
							t.Errorf("call %d: ACK %s outside the dialog of INVITE %s", n, req, invite.StartLine())
						}
						b, _ := req.Via().Params.Get("branch")
						branches = append(branches, b)
						if len(branches) < 3 { // as if the ACK were lost: the 200 again, T1 later
							time.Sleep(500 * time.Millisecond)
							if _, err := srv.WriteTo([]byte(ok.String()), addr); err != nil {
								t.Fatal(err)
							}
						}
					}
				case <-timeout:
					break loop
				}
			}
			if len(branches) != 3 {
				t.Fatalf("call %d: %d ACKs for three copies of the 200", n, len(branches))
			}
			if branches[0] == branches[1] || branches[1] == branches[2] || branches[0] == branches[2] {
				t.Errorf("call %d: ACK branches %v: want a new one each", n, branches)
			}
			if st := call.State(); st != Answered {
				t.Fatalf("call %d: state %s, want answered", n, st)
			}
			if err := call.Hangup(t.Context()); err == nil {
				t.Logf("call %d hung up", n)
			}
			for len(msgs) > 0 { // the BYE, unanswered: the call ends anyway
				<-msgs
				<-from
			}
		}
	})
}
