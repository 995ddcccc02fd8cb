package phone

import (
	"testing"
	"time"
)

// TestSendInfoDTMF: digits sent as SIP INFO arrive at the far phone in
// order, both ways, whatever the media; a bad key is refused before
// anything is sent.
func TestSendInfoDTMF(t *testing.T) {
	checkLeaks(t)
	ctx := testCtx(t, 15*time.Second)
	agentA := newTestAgent(t, Config{})
	agentB := newTestAgent(t, Config{})
	a := newTestPhone(t, agentA, PhoneConfig{Number: "1000"})
	b, inc := callee(t, agentB, "1001", AnswerMode{Behaviour: Answer})
	call, in := answered(t, ctx, a, b, inc)

	if err := call.SendInfoDTMF(ctx, "1#a"); err != nil {
		t.Fatal(err)
	}
	if got := in.InfoDigits(); got != "1#A" {
		t.Fatalf("callee received %q as INFO, want 1#A", got)
	}
	if err := in.SendInfoDTMF(ctx, "*9"); err != nil {
		t.Fatal(err)
	}
	if got := call.InfoDigits(); got != "*9" {
		t.Fatalf("caller received %q as INFO, want *9", got)
	}
	if err := call.SendInfoDTMF(ctx, "x"); err == nil {
		t.Fatal("key x accepted")
	}
	if got := in.InfoDigits(); got != "1#A" {
		t.Fatalf("callee's INFO digits changed to %q", got)
	}
	hangup(t, ctx, call, in)
	if err := call.SendInfoDTMF(ctx, "1"); err == nil {
		t.Fatal("INFO sent on an ended call")
	}
}

func TestParseInfoDTMF(t *testing.T) {
	for _, tc := range []struct {
		ct, body string
		want     byte
		ok       bool
	}{
		{"application/dtmf-relay", "Signal=5\r\nDuration=160\r\n", '5', true},
		{"Application/DTMF-Relay; charset=x", "Duration=100\nsignal = #\n", '#', true},
		{"application/dtmf-relay", "Signal=10\r\n", '*', true},
		{"application/dtmf-relay", "Signal=11", '#', true},
		{"application/dtmf-relay", "Signal=d", 'D', true},
		{"application/dtmf", "7", '7', true},
		{"application/dtmf-relay", "Signal=\r\n", 0, false},
		{"application/dtmf-relay", "Signal=12\r\n", 0, false},
		{"application/dtmf-relay", "Duration=160\r\n", 0, false},
		{"application/dtmf-relay", "Signal=E\r\n", 0, false},
		{"application/sdp", "Signal=5\r\n", 0, false},
		{"", "5", 0, false},
	} {
		got, ok := ParseInfoDTMF(tc.ct, []byte(tc.body))
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseInfoDTMF(%q, %q) = %q, %v; want %q, %v", tc.ct, tc.body, got, ok, tc.want, tc.ok)
		}
	}
}

// FuzzParseInfoDTMF feeds SIP INFO bodies from the network to the DTMF
// reader: it never panics and only returns a key of 0-9 * # A-D.
func FuzzParseInfoDTMF(f *testing.F) {
	f.Add("application/dtmf-relay", []byte("Signal=5\r\nDuration=160\r\n"))
	f.Add("application/dtmf", []byte("#"))
	f.Add("application/dtmf-relay", []byte("Signal=11"))
	f.Add("application/dtmf-relay;x=y", []byte("=\n=\r\nsignal=\x00"))
	f.Fuzz(func(t *testing.T, ct string, body []byte) {
		d, ok := ParseInfoDTMF(ct, body)
		if ok != (d != 0) {
			t.Fatalf("key %q with ok %v", d, ok)
		}
		if ok && !(d >= '0' && d <= '9' || d == '*' || d == '#' || d >= 'A' && d <= 'D') {
			t.Fatalf("key %q", d)
		}
	})
}
