package pbx_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/pcapio"
	"pbxlab/pbx"
	"pbxlab/pbx/pbxtest"
	"pbxlab/sim/phone"
)

// TestForkingEarlyMediaAndLosingForks: 1001 is registered from two devices
// that both send 183 with SDP. The caller gets the early media of the first
// fork only (later forks' 183 are relayed as 180 without SDP); the first to
// answer wins and the other device is CANCELled with
// `Reason: SIP ;cause=200` (RFC 3326).
func TestForkingEarlyMediaAndLosingForks(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	capPath := filepath.Join(t.TempDir(), "fork.pcapng")
	w, err := pcapio.Create(capPath)
	if err != nil {
		t.Fatal(err)
	}
	in := startPBX(t, nil, pbxtest.Options{PBX: []pbx.Option{pbx.WithCapture(w)}})
	caller := registered(ctx, t, in.Target(), phone.Config{}, "1000")["1000"]
	var devices []*testPhone
	for i, delay := range []time.Duration{time.Second, 4 * time.Second} {
		ag, err := phone.NewAgent(phone.Config{Target: in.Target()})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = ag.Close() })
		p := newTestPhone(t, ag, phone.PhoneConfig{Number: "1001", Password: "demo1001",
			Answer: phone.AnswerMode{Behaviour: phone.Answer, Delay: delay, EarlyMedia: true}})
		if _, err := p.Register(ctx); err != nil {
			t.Fatalf("register device %d: %v", i, err)
		}
		devices = append(devices, p)
	}
	c, err := caller.Dial(ctx, "1001")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.WaitAnswer(ctx); err != nil {
		t.Fatalf("answer: %v (%d)", err, c.Code())
	}
	prov := c.Provisional()
	if n := countOf(prov, 183); n != 1 || !c.EarlyMedia() {
		t.Errorf("caller saw provisional %v (early media %v): want exactly one 183 with SDP", prov, c.EarlyMedia())
	}
	if end, err := devices[1].nextIncoming(ctx, t).Wait(ctx); err != nil || end.Reason != phone.ReasonCancel {
		t.Errorf("losing fork ended %+v, %v; want CANCEL", end, err)
	}
	if err := c.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	if err := in.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	pkts, err := pcapio.ReadFile(capPath)
	if err != nil {
		t.Fatal(err)
	}
	var reasons []string
	var sdp183 int
	for _, p := range pcapio.SIPMessages(pkts) {
		m, err := sip.ParseMessage(p.Payload)
		if err != nil {
			continue
		}
		switch m := m.(type) {
		case *sip.Request:
			if m.Method == sip.CANCEL {
				for _, h := range m.GetHeaders("Reason") {
					reasons = append(reasons, h.Value())
				}
			}
		case *sip.Response:
			// 183s sent by the PBX to the caller (From user 1000, Call-ID of the A leg)
			if m.StatusCode == 183 && m.CallID().Value() == c.CallID() && len(m.Body()) > 0 {
				sdp183++
			}
		}
	}
	if len(reasons) != 1 || !strings.Contains(reasons[0], "cause=200") {
		t.Errorf("CANCEL Reason headers %q, want one with cause=200", reasons)
	}
	if sdp183 != 1 {
		t.Errorf("PBX sent %d 183-with-SDP to the caller, want 1", sdp183)
	}
}

func countOf(s []int, v int) int {
	n := 0
	for i := range s {
		if s[i] == v {
			n++
		}
	}
	return n
}
