package phone

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"pbxlab/internal/pcapio"
)

// The capture holds the caller's SIP (both directions) and RTP, over UDP and
// over TCP (where the Agent dials its own connections to record them).
func TestCaptureRecordsSIPAndRTP(t *testing.T) {
	for _, transport := range []string{UDP, TCP} {
		t.Run(transport, func(t *testing.T) {
			checkLeaks(t)
			ctx := testCtx(t, 15*time.Second)
			var buf bytes.Buffer
			w, err := pcapio.NewWriter(&buf)
			if err != nil {
				t.Fatal(err)
			}
			agentA, err := NewAgent(Config{LocalIP: loopback, Transport: transport}, WithCapture(w))
			if err != nil {
				t.Fatal(err)
			}
			defer agentA.Close()
			agentB := newTestAgent(t, Config{Transport: transport})
			a := newTestPhone(t, agentA, PhoneConfig{Number: "1100"})
			b, inc := callee(t, agentB, "1101", AnswerMode{Behaviour: Answer})

			call, in := answered(t, ctx, a, b, inc)
			if _, err := VerifyTwoWay(testCtx(t, 5*time.Second), call, in); err != nil {
				t.Fatal(err)
			}
			if err := call.Hangup(ctx); err != nil {
				t.Fatal(err)
			}
			if err := agentA.Close(); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			pkts, err := pcapio.Read(&buf)
			if err != nil {
				t.Fatal(err)
			}
			var sipText strings.Builder
			for _, p := range pcapio.SIPMessages(pkts) {
				if p.Proto != transport {
					t.Errorf("SIP over %s in a %s capture", p.Proto, transport)
				}
				sipText.Write(p.Payload)
			}
			for _, want := range []string{"INVITE sip:1101@", "SIP/2.0 180 Ringing", "SIP/2.0 200 OK", "ACK sip:1101@", "BYE sip:1101@"} {
				if !strings.Contains(sipText.String(), want) {
					t.Errorf("capture lacks %q", want)
				}
			}
			rtpIn, rtpOut := 0, 0
			for _, p := range pkts {
				if p.Proto != pcapio.ProtoUDP || len(p.Payload) < 12 || p.Payload[0]>>6 != 2 {
					continue
				}
				if p.Src.Port()%2 == 0 && p.Dst.Port()%2 == 0 {
					if p.Src.Port() == call.media.local().Port() {
						rtpOut++
					} else {
						rtpIn++
					}
				}
			}
			if rtpIn == 0 || rtpOut == 0 {
				t.Errorf("capture has %d RTP in, %d out", rtpIn, rtpOut)
			}
		})
	}
}
