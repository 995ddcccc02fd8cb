package media

import (
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/zaf/g711"

	"pbxlab/internal/clock"
	"pbxlab/internal/sdpneg"
	"pbxlab/internal/tone"
	"pbxlab/pbx/config"
	"pbxlab/pbx/internal/call"
)

// talker sends a 1 kHz µ-law tone from p to the PBX at to every 20 ms
// until the test ends: the holder's voice.
func talker(t *testing.T, p *phoneSock, to netip.AddrPort) {
	t.Helper()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	t.Cleanup(func() { close(stop); wg.Wait() })
	gen := tone.New(1000, SampleRate, 0.3)
	wg.Go(func() {
		frame := make([]int16, FrameSamples)
		payload := make([]byte, FrameSamples)
		tick := time.NewTicker(FrameDuration)
		defer tick.Stop()
		for seq := uint16(1); ; seq++ {
			gen.Fill(frame)
			for i, v := range frame {
				payload[i] = g711.EncodeUlawFrame(v)
			}
			if _, err := p.pc.WriteTo(rtpPacket(0, seq, uint32(seq)*FrameSamples, 0xa1, payload), net.UDPAddrFromAddrPort(to)); err != nil {
				return
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	})
}

// settle drops what was in flight, then returns 200 ms of what p hears.
func settle(t *testing.T, p *phoneSock) []int16 {
	t.Helper()
	heard(t, p, 10)
	_, audio := heard(t, p, 10)
	return audio
}

type holdRig struct {
	s      *Server
	c      *call.Call
	m      call.Media
	a, b   *call.Leg
	pa, pb *phoneSock
}

// newHoldRig is an anchored call between a phone at 10.0.0.1:4000 (the
// caller, who will hold) talking at 1 kHz and one at 10.0.0.2:5000.
func newHoldRig(t *testing.T, moh config.MOH) *holdRig {
	t.Helper()
	cfg := testMediaConfig()
	cfg.MOH = moh
	s, nw := newTestServer(t, cfg, WithClock(clock.New()))
	r := &holdRig{s: s, a: &call.Leg{}, b: &call.Leg{}, pa: listenPhone(t, nw, "10.0.0.1:4000"), pb: listenPhone(t, nw, "10.0.0.2:5000")}
	r.c = &call.Call{}
	r.m = s.Seam(r.c)
	t.Cleanup(r.m.Close)
	if _, err := r.m.Offer(r.a, r.b, sdpOf(t, "10.0.0.1:4000", []sdpneg.Codec{pcmu})); err != nil {
		t.Fatal(err)
	}
	ans, err := r.m.Answer(r.b, r.a, sdpOf(t, "10.0.0.2:5000", []sdpneg.Codec{pcmu}))
	if err != nil {
		t.Fatal(err)
	}
	talker(t, r.pa, parsed(t, ans).sess.Addr)
	return r
}

// reoffer has the caller re-offer with direction dir and the callee
// answer with answer; it returns the direction of the PBX's offer to the
// callee and of its answer to the caller.
func (r *holdRig) reoffer(t *testing.T, dir, answer string) (offered, answered string) {
	t.Helper()
	off, err := r.m.Offer(r.a, r.b, sdpOf(t, "10.0.0.1:4000", []sdpneg.Codec{pcmu}, "a=sendrecv", "a="+dir))
	if err != nil {
		t.Fatal(err)
	}
	ans, err := r.m.Answer(r.b, r.a, sdpOf(t, "10.0.0.2:5000", []sdpneg.Codec{pcmu}, "a=sendrecv", "a="+answer))
	if err != nil {
		t.Fatal(err)
	}
	return parsed(t, off).sess.Direction, parsed(t, ans).sess.Direction
}

// TestHoldPlaysMusicToHeldParty: held with a=sendonly or a=inactive, the
// callee is offered sendonly and hears the music on hold (here the CN dial
// tone, 450 Hz) and not the caller (1 kHz); the caller gets an answer
// matching its offer; the resume gives both directions back and the callee
// hears the caller again, not the music.
func TestHoldPlaysMusicToHeldParty(t *testing.T) {
	for _, hold := range []struct{ dir, wantAnswer string }{{"sendonly", "recvonly"}, {"inactive", "inactive"}} {
		t.Run(hold.dir, func(t *testing.T) {
			r := newHoldRig(t, config.MOH{Tone: "dial"})
			if f := dominant(settle(t, r.pb), 1000, 450); f != 1000 {
				t.Fatalf("before the hold the callee heard %g Hz, want the caller's 1000", f)
			}
			offered, answered := r.reoffer(t, hold.dir, "recvonly")
			if offered != sdpneg.SendOnly || answered != hold.wantAnswer {
				t.Fatalf("hold with %s: offer to the callee %s, answer to the caller %s; want sendonly, %s", hold.dir, offered, answered, hold.wantAnswer)
			}
			if f := dominant(settle(t, r.pb), 1000, 450); f != 450 {
				t.Fatalf("on hold the callee heard %g Hz, want the music on hold (450) and not the caller", f)
			}
			if r.s.svc.pacer.Active() != 1 {
				t.Fatalf("%d players on hold, want 1", r.s.svc.pacer.Active())
			}
			for _, l := range []*call.Leg{r.a, r.b} {
				if m := r.s.Endpoint(r.c, l).Leg(); m.Sends {
					t.Fatal("a held leg counts as sending: the media timeout would end the held call")
				}
			}
			if m := r.s.Endpoint(&call.Call{}, r.b); m != nil {
				t.Fatal("endpoint of another call")
			}
			offered, answered = r.reoffer(t, "sendrecv", "sendrecv")
			if offered != sdpneg.SendRecv || answered != sdpneg.SendRecv {
				t.Fatalf("resume: offer %s answer %s, want sendrecv both", offered, answered)
			}
			if f := dominant(settle(t, r.pb), 1000, 450); f != 1000 {
				t.Fatalf("after the resume the callee heard %g Hz, want the caller's 1000 and no music", f)
			}
			if r.s.svc.pacer.Active() != 0 {
				t.Fatalf("%d players after the resume, want 0", r.s.svc.pacer.Active())
			}
			if !r.s.Endpoint(r.c, r.a).Leg().Sends || !r.s.Endpoint(r.c, r.b).Leg().Sends {
				t.Fatal("after the resume the legs are not sendrecv: the media timeout would not apply")
			}
		})
	}
}

// TestHoldWithoutMusic: with media.moh.off the hold passes through: the
// callee is offered the caller's own direction and no player starts.
func TestHoldWithoutMusic(t *testing.T) {
	r := newHoldRig(t, config.MOH{Off: true})
	offered, answered := r.reoffer(t, "inactive", "inactive")
	if offered != sdpneg.Inactive || answered != sdpneg.Inactive {
		t.Fatalf("hold without music: offer %s answer %s, want inactive both", offered, answered)
	}
	if r.s.svc.pacer.Active() != 0 {
		t.Fatal("a player started with music on hold off")
	}
}

// TestHoldEndsWithCall: the music stops when the call's endpoints are
// released.
func TestHoldEndsWithCall(t *testing.T) {
	r := newHoldRig(t, config.MOH{})
	r.reoffer(t, "sendonly", "recvonly")
	if r.s.svc.pacer.Active() != 1 {
		t.Fatalf("%d players on hold, want 1 (the built-in tune)", r.s.svc.pacer.Active())
	}
	r.m.Close()
	if r.s.svc.pacer.Active() != 0 {
		t.Fatal("the music plays on after the call ended")
	}
}

func TestAnswerDir(t *testing.T) {
	for _, c := range []struct{ offer, answer, want string }{
		{"sendrecv", "sendrecv", "sendrecv"},
		{"sendonly", "recvonly", "recvonly"},
		{"sendonly", "sendrecv", "recvonly"},
		{"inactive", "recvonly", "inactive"},
		{"recvonly", "sendrecv", "sendonly"},
		{"sendrecv", "inactive", "inactive"},
	} {
		if got := answerDir(c.offer, c.answer); got != c.want {
			t.Errorf("answerDir(%s, %s) = %s, want %s", c.offer, c.answer, got, c.want)
		}
	}
}
