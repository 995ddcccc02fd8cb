package conformance

import (
	"fmt"
	"testing"

	"github.com/emiago/sipgo/sip"
)

const testInvite = "INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5000;branch=z9hG4bK-1\r\n" +
	"From: <sip:a@example.com>;tag=1\r\nTo: <sip:bob@example.com>\r\nCall-ID: c1@x\r\nCSeq: 7 INVITE\r\n" +
	"Route: <sip:proxy.example.com;lr>\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"

func TestFollowUp(t *testing.T) {
	tests := []struct {
		name     string
		response string
		want     []string // start of each follow-up request
	}{
		{"407 gets an ACK in the INVITE transaction",
			"SIP/2.0 407 Proxy Authentication Required\r\nVia: SIP/2.0/UDP 127.0.0.1:5000;branch=z9hG4bK-1\r\nFrom: <sip:a@example.com>;tag=1\r\nTo: <sip:bob@example.com>;tag=99\r\nCall-ID: c1@x\r\nCSeq: 7 INVITE\r\nContent-Length: 0\r\n\r\n",
			[]string{"ACK sip:bob@example.com SIP/2.0"}},
		{"200 gets ACK and BYE",
			"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:5000;branch=z9hG4bK-1\r\nFrom: <sip:a@example.com>;tag=1\r\nTo: <sip:bob@example.com>;tag=99\r\nCall-ID: c1@x\r\nCSeq: 7 INVITE\r\nContent-Length: 0\r\n\r\n",
			[]string{"ACK sip:bob@example.com SIP/2.0", "BYE sip:bob@example.com SIP/2.0"}},
		{"100 gets nothing",
			"SIP/2.0 100 Trying\r\nVia: SIP/2.0/UDP 127.0.0.1:5000;branch=z9hG4bK-1\r\nFrom: <sip:a@example.com>;tag=1\r\nTo: <sip:bob@example.com>\r\nCall-ID: c1@x\r\nCSeq: 7 INVITE\r\nContent-Length: 0\r\n\r\n",
			nil},
		{"other Call-ID gets nothing",
			"SIP/2.0 486 Busy Here\r\nVia: SIP/2.0/UDP 127.0.0.1:5000;branch=z9hG4bK-1\r\nFrom: <sip:a@example.com>;tag=1\r\nTo: <sip:bob@example.com>;tag=9\r\nCall-ID: other@x\r\nCSeq: 7 INVITE\r\nContent-Length: 0\r\n\r\n",
			nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ex := newExchange([]byte(testInvite))
			res, ok := parseResponse([]byte(tt.response))
			if !ok {
				t.Fatal("test response does not parse")
			}
			got := ex.followUp(res)
			if len(got) != len(tt.want) {
				t.Fatalf("%d follow-ups, want %d: %q", len(got), len(tt.want), got)
			}
			for i, g := range got {
				s := string(g)
				if len(s) < len(tt.want[i]) || s[:len(tt.want[i])] != tt.want[i] {
					t.Errorf("follow-up %d = %q, want it to start with %q", i, s, tt.want[i])
				}
				req, err := parseRequest(g)
				if err != nil {
					t.Fatalf("follow-up %d does not parse: %v\n%s", i, err, s)
				}
				if req.CSeq().SeqNo < 7 || req.To().Params.GetOr("tag", "") != "99" {
					t.Errorf("follow-up %d: CSeq %v, To %v", i, req.CSeq(), req.To())
				}
				branch, _ := req.Via().Params.Get("branch")
				if isACKForNon2xx := i == 0 && res.StatusCode >= 300; isACKForNon2xx != (branch == "z9hG4bK-1") {
					t.Errorf("follow-up %d: branch %q (RFC 3261 §17.1.1.3 keeps it only for the ACK of a non-2xx)", i, branch)
				}
				if isACKForNon2xx := i == 0 && res.StatusCode >= 300; isACKForNon2xx != (req.GetHeader("Route") != nil) {
					t.Errorf("follow-up %d: Route %v", i, req.GetHeader("Route"))
				}
			}
			if again := ex.followUp(res); again != nil {
				t.Errorf("second final response acknowledged again: %q", again)
			}
		})
	}
}

// FuzzResponse feeds arbitrary datagrams through what Run does with bytes
// from the network: parse, record, acknowledge.
func FuzzResponse(f *testing.F) {
	f.Add([]byte("SIP/2.0 407 Proxy Authentication Required\r\nVia: SIP/2.0/UDP 127.0.0.1:5000;branch=z9hG4bK-1\r\nFrom: <sip:a@example.com>;tag=1\r\nTo: <sip:bob@example.com>;tag=99\r\nCall-ID: c1@x\r\nCSeq: 7 INVITE\r\nContent-Length: 0\r\n\r\n"))
	f.Add([]byte("SIP/2.0 200 OK\r\nCall-ID: c1@x\r\nCSeq: 7 INVITE\r\n\r\n"))
	f.Add([]byte("SIP/7.0 505 Version Not Supported\r\n\r\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		res, ok := parseResponse(raw)
		if !ok {
			return
		}
		var o Outcome
		o.add(newResponse(res, raw), "c1@x")
		_ = Expectation{Codes: codes(407), Headers: []string{"Proxy-Authenticate"}}.Check(o)
		_ = o.Summary()
		ex := newExchange([]byte(testInvite))
		for _, fu := range ex.followUp(res) {
			if _, err := parseRequest(fu); err != nil {
				t.Fatalf("follow-up does not parse: %v\n%q", err, fu)
			}
		}
	})
}

func parseRequest(b []byte) (*sip.Request, error) {
	msg, err := sip.NewParser().ParseSIP(b)
	if err != nil {
		return nil, err
	}
	req, ok := msg.(*sip.Request)
	if !ok {
		return nil, fmt.Errorf("%.20q is not a request", b)
	}
	return req, nil
}
