package replay_test

import (
	"bytes"
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/replay"
)

// FuzzReplayAnswers: whatever the target sends back (anything, or a
// response with the request's identifiers where $CALLID, $BRANCH, $CSEQ
// and $TAG stand), the replay ends with a report, without panicking.
func FuzzReplayAnswers(f *testing.F) {
	for _, s := range []string{
		"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP x;branch=$BRANCH\r\nFrom: <sip:a@b>;tag=$TAG\r\nTo: <sip:a@b>;tag=z\r\nCall-ID: $CALLID\r\nCSeq: $CSEQ\r\nContent-Length: 0\r\n\r\n",
		"SIP/2.0 401 Unauthorized\r\nVia: SIP/2.0/UDP x;branch=$BRANCH\r\nFrom: <sip:a@b>;tag=$TAG\r\nTo: <sip:a@b>;tag=z\r\nCall-ID: $CALLID\r\nCSeq: $CSEQ\r\nWWW-Authenticate: Digest realm=\"r\", nonce=\"n\"\r\nContent-Length: 0\r\n\r\n",
		"SIP/2.0 407 Proxy Authentication Required\r\nVia: SIP/2.0/UDP x;branch=$BRANCH\r\nFrom: <sip:a@b>;tag=$TAG\r\nTo: <sip:a@b>;tag=z\r\nCall-ID: $CALLID\r\nCSeq: $CSEQ\r\nProxy-Authenticate: Digest realm=\"r\", nonce=\"n\", algorithm=SHA-256\r\nContent-Length: 0\r\n\r\n",
		"INVITE sip:bob@x SIP/2.0\r\nVia: SIP/2.0/UDP x;branch=z9hG4bKq\r\nFrom: <sip:a@b>;tag=q\r\nTo: <sip:bob@b>\r\nCall-ID: $CALLID-new\r\nCSeq: 1 INVITE\r\nContact: <sip:x@[::1]>\r\nContent-Length: 0\r\n\r\n",
		"BYE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP x;branch=z9hG4bKq\r\nFrom: <sip:a@b>;tag=z\r\nTo: <sip:a@b>;tag=$TAG\r\nCall-ID: $CALLID\r\nCSeq: 9 BYE\r\nContent-Length: 0\r\n\r\n",
		"SIP/2.0 200 OK\r\nCall-ID: $CALLID\r\n\r\n",
		"\x80\x00\x00\x01",
		"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rec := &recorder{answer: func(req *sip.Request) []byte {
			b := data
			tag, _ := req.From().Params.Get("tag")
			branch, _ := req.Via().Params.Get("branch")
			for _, kv := range [][2]string{{"$CALLID", req.CallID().Value()}, {"$BRANCH", branch}, {"$TAG", tag},
				{"$CSEQ", strconv.FormatUint(uint64(req.CSeq().SeqNo), 10) + " " + string(req.CSeq().MethodName)}} {
				b = bytes.ReplaceAll(b, []byte(kv[0]), []byte(kv[1]))
			}
			return b
		}}
		r, err := replay.New(replay.Config{Messages: foreignCapture(t), Target: "127.0.0.1:5999", Timeout: 40 * time.Millisecond,
			Pace: replay.Pace{Fast: true}, Credentials: replay.Credentials{"alice": "x"}}, replay.WithNetwork(rec))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		rep, err := r.Run(ctx)
		if err == nil {
			_ = rep.WriteText(&bytes.Buffer{})
			_ = rep.WriteHTML(&bytes.Buffer{})
		}
		if ctx.Err() != nil {
			t.Fatal("the replay did not end")
		}
	})
}
