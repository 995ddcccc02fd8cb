package call

import (
	"errors"
	"testing"

	"github.com/emiago/sipgo/sip"
)

// oaInvite is an INVITE with a one-stream offer, as the PBX sends a carrier.
func oaInvite() *sip.Request {
	inv := sip.NewRequest(sip.INVITE, sip.Uri{Scheme: "sip", User: "0123456789", Host: "192.0.2.1"})
	id := sip.CallIDHeader("call-1@pbx")
	inv.AppendHeader(&id)
	inv.AppendHeader(&sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: "0123456789", Host: "192.0.2.1"}, Params: sip.NewParams()})
	inv.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	inv.SetBody([]byte("v=0\r\no=- 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"))
	return inv
}

// okTo is a 200 to inv with callID, a To tag when tag is set, and body.
func okTo(inv *sip.Request, callID, tag string, body []byte) *sip.Response {
	res := sip.NewResponseFromRequest(inv, 200, "OK", nil)
	id := sip.CallIDHeader(callID)
	res.ReplaceHeader(&id)
	res.To().Params.Remove("tag") // sipgo makes one up
	if tag != "" {
		res.To().Params.Add("tag", tag)
	}
	if body != nil {
		res.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
		res.SetBody(body)
	}
	return res
}

const goodAnswer = "v=0\r\no=- 2 2 IN IP4 192.0.2.20\r\ns=-\r\nc=IN IP4 192.0.2.20\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\n"

// TestAnswerProblemGarbage: a carrier's 2xx that makes no dialog the PBX
// can keep is refused, and says why.
func TestAnswerProblemGarbage(t *testing.T) {
	inv := oaInvite()
	for _, tc := range []struct {
		name string
		res  *sip.Response
		want error
	}{
		{"good", okTo(inv, "call-1@pbx", "c1", []byte(goodAnswer)), nil},
		{"another Call-ID", okTo(inv, "other@carrier", "c1", []byte(goodAnswer)), ErrForeign2xx},
		{"no To tag", okTo(inv, "call-1@pbx", "", []byte(goodAnswer)), ErrNoToTag},
		{"SDP that does not parse", okTo(inv, "call-1@pbx", "c1", []byte("v=0\r\nm=audio x RTP/AVP\r\n")), ErrBadSDP},
		{"no SDP", okTo(inv, "call-1@pbx", "c1", nil), ErrNoAnswer},
		{"two streams for one", okTo(inv, "call-1@pbx", "c1", []byte(goodAnswer+"m=video 5002 RTP/AVP 96\r\n")), ErrMediaLines},
	} {
		if err := answerProblem(inv, tc.res); !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
}

// FuzzAnswerProblem: whatever body and To tag a carrier's 2xx carries,
// answerProblem returns, and a 2xx it accepts has a To tag and an SDP
// answer that parses.
func FuzzAnswerProblem(f *testing.F) {
	f.Add("c1", []byte(goodAnswer))
	f.Add("", []byte("v=0\r\n"))
	f.Add("x", []byte("\x00\xffm=\r\nm=\r\n"))
	inv := oaInvite()
	f.Fuzz(func(t *testing.T, tag string, body []byte) {
		res := okTo(inv, "call-1@pbx", tag, body)
		if answerProblem(inv, res) == nil && (tagOf(res.To().Params) == "" || !hasSDP(res)) {
			t.Fatalf("accepted a 2xx without tag or answer: tag %q body %q", tag, body)
		}
	})
}
