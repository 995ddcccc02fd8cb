package phone

import (
	"errors"
	"net/netip"
	"testing"
	"testing/synctest"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/memnet"
	"pbxlab/internal/sdpneg"
)

// virtualAgent starts a signalling-only Agent on nw at ip (inside a bubble).
func virtualAgent(t *testing.T, nw *memnet.Network, ip string) *Agent {
	t.Helper()
	return newTestAgent(t, Config{LocalIP: netip.MustParseAddr(ip), ListenPacket: nw.ListenPacket, SignallingOnly: true})
}

// TestSignallingOnlyCall: two signalling-only phones on an in-memory network
// call each other directly in virtual time. No RTP socket is opened, each
// SDP carries the discard-port placeholder on the phone's address, early
// media is still negotiated, and audio checks say ErrNoAudio.
func TestSignallingOnlyCall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		nw := memnet.New()
		agentA := virtualAgent(t, nw, "10.0.0.1")
		agentB := virtualAgent(t, nw, "10.0.0.2")
		a := newTestPhone(t, agentA, PhoneConfig{Number: "1000"})
		b, inc := callee(t, agentB, "1001", AnswerMode{Behaviour: Answer, Delay: 7 * time.Second, EarlyMedia: true})

		start := time.Now()
		out, err := a.DialURI(ctx, b.Contact())
		if err != nil {
			t.Fatal(err)
		}
		if err := out.WaitAnswer(ctx); err != nil {
			t.Fatalf("WaitAnswer: %v", err)
		}
		if rang := time.Since(start); rang != 7*time.Second {
			t.Errorf("answered after %v of virtual time, want the 7s answer delay", rang)
		}
		in := incoming(t, ctx, inc)
		if !out.EarlyMedia() || !containsCode(out.Provisional(), 183) {
			t.Errorf("caller saw %v, early media %v; want 183 with SDP", out.Provisional(), out.EarlyMedia())
		}
		for _, c := range []*Call{out, in} {
			if c.media != nil {
				t.Errorf("%s leg opened an RTP stream", c.Direction())
			}
			s, err := sdpneg.Parse(c.localSDP)
			want := netip.AddrPortFrom(c.agent.Addr().Addr(), discardPort)
			if err != nil || s.Addr != want {
				t.Errorf("%s leg SDP at %v (%v), want placeholder %s", c.Direction(), s, err, want)
			}
			if _, err := c.TwoWayAudio(ctx); !errors.Is(err, ErrNoAudio) {
				t.Errorf("%s leg audio check: %v, want ErrNoAudio", c.Direction(), err)
			}
		}
		if err := in.Hangup(ctx); err != nil {
			t.Fatal(err)
		}
		end, err := out.Wait(ctx)
		if err != nil {
			t.Fatal(err)
		}
		wantEnd(t, "caller", end, Remote, ReasonBye, 200)
		if s := nw.Stats(); s.NoListener != 0 || s.QueueFull != 0 {
			t.Errorf("network lost packets: %+v", s)
		}
	})
}

// TestSignallingOnlyTimerB: an INVITE to an address nobody listens on ends
// on sipgo's Timer B (64*T1 = 32 s of virtual time) as a 408.
func TestSignallingOnlyTimerB(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		nw := memnet.New()
		a := newTestPhone(t, virtualAgent(t, nw, "10.0.0.1"), PhoneConfig{Number: "1000"})
		start := time.Now()
		out, err := a.DialURI(ctx, "sip:9999@10.0.0.99:5060")
		if err != nil {
			t.Fatal(err)
		}
		end, err := out.Wait(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !errors.Is(end.Err, sip.ErrTransactionTimeout) {
			t.Errorf("end error %v, want a transaction timeout", end.Err)
		}
		wantEnd(t, "caller", end, Remote, ReasonError, 408)
		if waited := time.Since(start); waited != 64*sip.T1 {
			t.Errorf("gave up after %v, want Timer B = %v", waited, 64*sip.T1)
		}
		// The INVITE and its Timer A retransmissions (T1, doubling, until
		// Timer B) were all sent and dropped: nobody listens.
		if s := nw.Stats(); s.NoListener != 7 {
			t.Errorf("%d INVITEs dropped, want 7 (stats %+v)", s.NoListener, s)
		}
	})
}

func TestListenPacketIsUDPOnly(t *testing.T) {
	nw := memnet.New()
	_, err := NewAgent(Config{Transport: TCP, LocalIP: loopback, ListenPacket: nw.ListenPacket})
	if !errors.Is(err, sip.ErrTransportNotSuported) {
		t.Fatalf("TCP agent with ListenPacket: %v, want ErrTransportNotSuported", err)
	}
	// Without LocalIP, an Agent on an injected socket binds 127.0.0.1.
	ag, err := NewAgent(Config{ListenPacket: nw.ListenPacket, SignallingOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ag.Close()
	if got := ag.Addr().Addr(); got != loopback {
		t.Fatalf("agent bound %s, want %s", got, loopback)
	}
}

// TestSignallingOnlyPhone: on an Agent with media, a phone set
// signalling-only (PhoneConfig.SignallingOnly, a load run's audio.share)
// opens no RTP socket for its calls, in either direction, while a media
// phone of the same Agent does; each SDP shows which.
func TestSignallingOnlyPhone(t *testing.T) {
	checkLeaks(t)
	ctx := testCtx(t, 10*time.Second)
	ag := newTestAgent(t, Config{})
	plainA := newTestPhone(t, ag, PhoneConfig{Number: "1000", SignallingOnly: true})
	plainInc := make(chan *Call, 1)
	plainB := newTestPhone(t, ag, PhoneConfig{Number: "1001", SignallingOnly: true, OnIncoming: func(c *Call) { plainInc <- c }})
	mediaA := newTestPhone(t, ag, PhoneConfig{Number: "1002"})
	mediaB, mediaInc := callee(t, ag, "1003", AnswerMode{Behaviour: Answer})

	for _, tc := range []struct {
		name  string
		a, b  *Phone
		inc   <-chan *Call
		media bool
	}{
		{"signalling-only", plainA, plainB, plainInc, false},
		{"media", mediaA, mediaB, mediaInc, true},
	} {
		out, in := answered(t, ctx, tc.a, tc.b, tc.inc)
		for _, c := range []*Call{out, in} {
			if got := c.media != nil; got != tc.media {
				t.Errorf("%s call, %s leg: RTP stream open %v, want %v", tc.name, c.Direction(), got, tc.media)
			}
			s, err := sdpneg.Parse(c.localSDP)
			if err != nil {
				t.Fatal(err)
			}
			if placeholder := s.Addr.Port() == discardPort; placeholder == tc.media {
				t.Errorf("%s call, %s leg: SDP at %s", tc.name, c.Direction(), s.Addr)
			}
		}
		if !tc.media {
			if _, err := out.TwoWayAudio(ctx); !errors.Is(err, ErrNoAudio) {
				t.Errorf("audio check on a signalling-only call: %v, want ErrNoAudio", err)
			}
		}
		if err := out.Hangup(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := in.Wait(ctx); err != nil {
			t.Fatal(err)
		}
	}
}
