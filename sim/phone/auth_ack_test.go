package phone

import (
	"net"
	"net/netip"
	"testing"
	"testing/synctest"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/memnet"
)

// TestAuthChallengeRetransmittedACK: the server's 407 to an INVITE arrives
// twice (its first ACK was lost, or it crossed a retransmitted INVITE). The
// phone answers the challenge with a second INVITE (CSeq 2, new branch) and
// ACKs both copies of the 407 within the first transaction: branch and
// CSeq 1 of the first INVITE. sipgo's TransactionDigestAuth rewrites the
// request it is given, so a phone handing it the first transaction's own
// request sent the second ACK with the new INVITE's branch and CSeq, which
// the server took for the new transaction's.
func TestAuthChallengeRetransmittedACK(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		nw := memnet.New()
		rs := newRawServer(t, nw, "10.0.0.9:5060")
		srv, msgs, from := rs.srv, rs.msgs, rs.from
		send := func(res *sip.Response, to net.Addr) {
			if _, err := srv.WriteTo([]byte(res.String()), to); err != nil {
				t.Fatal(err)
			}
		}
		agent := newTestAgent(t, Config{LocalIP: netip.MustParseAddr("10.0.0.1"), ListenPacket: nw.ListenPacket,
			SignallingOnly: true, Target: "10.0.0.9:5060"})
		p := newTestPhone(t, agent, PhoneConfig{Number: "1000", Password: "secret"})
		call, err := p.Dial(t.Context(), "2000")
		if err != nil {
			t.Fatal(err)
		}

		type ack struct {
			branch string
			cseq   uint32
		}
		var (
			invites []*sip.Request
			acks    []ack
		)
		timeout := time.After(20 * time.Second)
	loop:
		for {
			select {
			case req := <-msgs:
				addr := <-from
				switch req.Method {
				case sip.INVITE:
					invites = append(invites, req)
					if len(invites) == 1 { // challenge, twice
						res := sip.NewResponseFromRequest(req, 407, "Proxy Authentication Required", nil)
						res.AppendHeader(sip.NewHeader("Proxy-Authenticate", `Digest realm="test", nonce="abc", algorithm=MD5`))
						send(res, addr)
						send(res, addr)
					} else {
						send(sip.NewResponseFromRequest(req, 486, "Busy Here", nil), addr)
					}
				case sip.ACK:
					b, _ := req.Via().Params.Get("branch")
					acks = append(acks, ack{branch: b, cseq: req.CSeq().SeqNo})
				}
			case <-timeout:
				break loop
			}
		}
		if len(invites) != 2 {
			t.Fatalf("%d INVITEs, want the first and the authenticated one", len(invites))
		}
		b1, _ := invites[0].Via().Params.Get("branch")
		b2, _ := invites[1].Via().Params.Get("branch")
		if b1 == b2 || invites[1].CSeq().SeqNo != invites[0].CSeq().SeqNo+1 {
			t.Fatalf("second INVITE branch %s CSeq %d after %s %d: want a new branch, the next CSeq", b2, invites[1].CSeq().SeqNo, b1, invites[0].CSeq().SeqNo)
		}
		first, second := ack{b1, invites[0].CSeq().SeqNo}, ack{b2, invites[1].CSeq().SeqNo}
		want := []ack{first, first, second} // both 407 copies, then the 486
		if len(acks) != len(want) {
			t.Fatalf("ACKs %v, want %v", acks, want)
		}
		counts := map[ack]int{}
		for _, a := range acks {
			counts[a]++
		}
		if counts[first] != 2 || counts[second] != 1 {
			t.Errorf("ACKs %v, want 2 of the first INVITE's transaction %v and 1 of the second's %v", acks, first, second)
		}
		if code := call.Code(); code != 486 {
			t.Errorf("call ended %d, want 486", code)
		}
	})
}
