package replay_test

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/pcapio"
	"pbxlab/internal/replay"
	"pbxlab/internal/sipwire"
)

// registerCapture is 1001 registering at 192.0.2.1, challenged first or
// not.
func registerCapture(t *testing.T, challenged bool) []sipwire.Message {
	t.Helper()
	phone, pbx := mustAddr("192.0.2.10:5062"), mustAddr("192.0.2.1:5060")
	req := func(cseq, branch, auth string) string {
		return "REGISTER sip:192.0.2.1:5060 SIP/2.0\nVia: SIP/2.0/UDP 192.0.2.10:5062;branch=" + branch +
			"\nMax-Forwards: 70\nFrom: <sip:1001@192.0.2.1>;tag=a1\nTo: <sip:1001@192.0.2.1>\nCall-ID: reg-1\nCSeq: " + cseq +
			" REGISTER\nContact: <sip:1001@192.0.2.10:5062>\nExpires: 60\n" + auth + "Content-Length: 0\n\n"
	}
	res := func(status, cseq, branch, extra string) string {
		return "SIP/2.0 " + status + "\nVia: SIP/2.0/UDP 192.0.2.10:5062;branch=" + branch +
			"\nFrom: <sip:1001@192.0.2.1>;tag=a1\nTo: <sip:1001@192.0.2.1>;tag=s" + cseq + "\nCall-ID: reg-1\nCSeq: " + cseq +
			" REGISTER\n" + extra + "Content-Length: 0\n\n"
	}
	var texts []string
	if challenged {
		texts = []string{req("1", "z9hG4bK1", ""),
			res("401 Unauthorized", "1", "z9hG4bK1", `WWW-Authenticate: Digest realm="pbxlab", nonce="old", algorithm=MD5`+"\n"),
			req("2", "z9hG4bK2", `Authorization: Digest username="1001", realm="pbxlab", nonce="old", uri="sip:192.0.2.1:5060", response="00000000000000000000000000000000", algorithm=MD5`+"\n"),
			res("200 OK", "2", "z9hG4bK2", "")}
	} else {
		texts = []string{req("1", "z9hG4bK1", ""), res("200 OK", "1", "z9hG4bK1", "")}
	}
	var out []sipwire.Message
	at := time.Unix(1700000000, 0)
	for i, txt := range texts {
		m, err := sip.ParseMessage([]byte(strings.ReplaceAll(txt, "\n", "\r\n")))
		if err != nil {
			t.Fatal(err)
		}
		src, dst := phone, pbx
		if i%2 == 1 {
			src, dst = pbx, phone
		}
		out = append(out, sipwire.Message{Time: at.Add(time.Duration(i) * time.Millisecond), Proto: pcapio.ProtoUDP, Src: src, Dst: dst, Msg: m})
	}
	return out
}

// TestReplayChallengeMismatch: a challenge the live target makes and the
// capture does not have is answered (with credentials) or reported
// (without), and a captured challenge the target does not make skips the
// captured retry; each is reported divergent, none hangs.
func TestReplayChallengeMismatch(t *testing.T) {
	in := startPBX(t, nil, "")
	for _, tc := range []struct {
		name       string
		challenged bool
		target     string // "" the demo PBX, else the fake answering 200 to all
		creds      replay.Credentials
		diff, note string
	}{
		{"the target challenges, credentials given", false, "", demoCreds, "+ D1/t1 PBX -> A 401 REGISTER challenge", ""},
		{"the target challenges, no credentials", false, "", nil, "+ D1/t1 PBX -> A 401 REGISTER challenge", `challenged for "1001": no credentials`},
		{"the capture's challenge is not made", true, "fake", demoCreds, "- D1/t1 PBX -> A 401 REGISTER challenge", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			target := in.Target()
			var opts []replay.Option
			if tc.target != "" {
				target = "127.0.0.1:5999"
				opts = append(opts, replay.WithNetwork(&recorder{}))
			}
			r, err := replay.New(replay.Config{Messages: registerCapture(t, tc.challenged), Target: target, Timeout: time.Second,
				Pace: replay.Pace{Fast: true}, Credentials: tc.creds}, opts...)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			rep, err := r.Run(ctx)
			if err != nil {
				t.Fatal(err)
			}
			text := rep.String()
			if rep.Equivalent() || !strings.Contains(text, tc.diff) || !strings.Contains(text, tc.note) {
				t.Fatalf("want divergent with %q and %q:\n%s", tc.diff, tc.note, text)
			}
			if tc.creds != nil && !strings.Contains(text, "+ D1/t2 PBX -> A 200 REGISTER") && !strings.Contains(text, "+ D1/t1 PBX -> A 200 REGISTER") {
				t.Errorf("want the registration through:\n%s", text)
			}
		})
	}
}

func mustAddr(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }
