package call

import (
	"net/netip"
	"testing"

	"github.com/emiago/sipgo/sip"

	"pbxlab/pbx/internal/cdr"
	"pbxlab/pbx/internal/sipx"
)

func resp(codes ...int) []*sip.Response {
	out := make([]*sip.Response, len(codes))
	for i, c := range codes {
		out[i] = sip.NewResponse(c, "")
	}
	return out
}

func TestBestResponse(t *testing.T) {
	for _, tc := range []struct {
		name  string
		codes []int
		want  int
	}{
		{"single", []int{480}, 480},
		{"all busy", []int{486, 486}, 486},
		{"busy beats unavailable", []int{480, 486, 408}, 486},
		{"6xx wins", []int{486, 603}, 603},
		{"lowest class", []int{503, 404}, 404},
		{"first of class", []int{404, 480}, 404},
		{"busy beats 3xx? no: 4xx busy preferred", []int{302, 486}, 486},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := bestResponse(resp(tc.codes...)).StatusCode; got != tc.want {
				t.Fatalf("bestResponse(%v) = %d, want %d", tc.codes, got, tc.want)
			}
		})
	}
}

func TestDispositionFor(t *testing.T) {
	for code, want := range map[int]cdr.Disposition{
		200: cdr.Answered, 301: cdr.Redirected, 486: cdr.Busy, 600: cdr.Busy, 487: cdr.Cancelled,
		603: cdr.Rejected, 480: cdr.NoAnswer, 408: cdr.NoAnswer, 404: cdr.Failed, 503: cdr.Failed,
	} {
		if got := dispositionFor(code); got != want {
			t.Errorf("dispositionFor(%d) = %s, want %s", code, got, want)
		}
	}
}

// TestInDialogRequest checks the RFC 3261 §12.2.1.1 construction: Request-URI
// is the remote target, Route from the route set, tags, CSeq and a Via with
// this instance's branch token.
func TestInDialogRequest(t *testing.T) {
	tok := sipx.NewBranchToken()
	var target, route sip.Uri
	if err := sip.ParseUri("sip:1001@192.0.2.7:5062;transport=udp", &target); err != nil {
		t.Fatal(err)
	}
	if err := sip.ParseUri("sip:proxy.example.com;lr", &route); err != nil {
		t.Fatal(err)
	}
	l := &Leg{
		callID: "cid", localTag: "lt", remoteTag: "rt",
		local:        sip.Uri{Scheme: "sip", User: "1000", Host: "127.0.0.1"},
		remote:       sip.Uri{Scheme: "sip", User: "1001", Host: "127.0.0.1"},
		remoteTarget: target, routeSet: []sip.Uri{route}, dest: "192.0.2.7:5062",
		via: sipx.Local{Transport: "udp", Addr: netip.MustParseAddrPort("127.0.0.1:5060")}, contactUser: "1000",
	}
	req := l.request(tok, sip.BYE, l.nextSeq(), nil, "", -1)
	if req.Recipient.String() != target.String() {
		t.Errorf("Request-URI = %s", req.Recipient.String())
	}
	if r := req.GetHeaders("Route"); len(r) != 1 || r[0].Value() != "<sip:proxy.example.com;lr>" {
		t.Errorf("Route = %v", r)
	}
	if tagOf(req.From().Params) != "lt" || tagOf(req.To().Params) != "rt" {
		t.Errorf("tags From=%s To=%s", req.From().Value(), req.To().Value())
	}
	if req.CSeq().SeqNo != 1 || req.CSeq().MethodName != sip.BYE {
		t.Errorf("CSeq = %s", req.CSeq().Value())
	}
	if !tok.Seen(req) {
		t.Errorf("Via %s lacks the instance branch token", req.Via().Value())
	}
	if req.Destination() != "192.0.2.7:5062" {
		t.Errorf("destination = %s", req.Destination())
	}
	if next := l.request(tok, sip.INFO, l.nextSeq(), []byte("x"), "text/plain", 5); next.CSeq().SeqNo != 2 || next.GetHeaders("Contact") != nil || next.MaxForwards().Val() != 5 {
		t.Errorf("second request CSeq %d, Contact %v, Max-Forwards %v", next.CSeq().SeqNo, next.GetHeaders("Contact"), next.MaxForwards())
	}
}

func TestCancelForMatchesInvite(t *testing.T) {
	inv := sip.NewRequest(sip.INVITE, sip.Uri{Scheme: "sip", User: "1001", Host: "192.0.2.7"})
	l := sipx.Local{Transport: "udp", Addr: netip.MustParseAddrPort("127.0.0.1:5060")}
	inv.AppendHeader(l.Via("z9hG4bKabc"))
	fp := sip.NewParams()
	fp.Add("tag", "f")
	inv.AppendHeader(&sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: "1000", Host: "h"}, Params: fp})
	inv.AppendHeader(&sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: "1001", Host: "h"}, Params: sip.NewParams()})
	cid := sip.CallIDHeader("c")
	inv.AppendHeader(&cid)
	inv.AppendHeader(&sip.CSeqHeader{SeqNo: 7, MethodName: sip.INVITE})
	c := cancelFor(inv)
	if b, _ := c.Via().Params.Get("branch"); b != "z9hG4bKabc" {
		t.Errorf("CANCEL branch %q", b)
	}
	if c.CSeq().SeqNo != 7 || c.CSeq().MethodName != sip.CANCEL {
		t.Errorf("CANCEL CSeq %s", c.CSeq().Value())
	}
	if c.Recipient.String() != inv.Recipient.String() || c.CallID().Value() != "c" {
		t.Errorf("CANCEL R-URI/Call-ID mismatch")
	}
}
