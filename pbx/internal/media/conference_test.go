package media

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/zaf/g711"

	"pbxlab/internal/clock"
	"pbxlab/internal/memnet"
	"pbxlab/internal/sdpneg"
	"pbxlab/internal/tone"
)

// collector is a Sink that keeps everything written to it.
type collector struct {
	mu sync.Mutex
	s  []int16
}

func (c *collector) Write(f []int16) {
	c.mu.Lock()
	c.s = append(c.s, f...)
	c.mu.Unlock()
}

func (c *collector) samples() []int16 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]int16(nil), c.s...)
}

// manualRoom is a room whose ticks the test runs itself (its clock never
// moves, so its own goroutine waits for ever until Close).
func manualRoom(t *testing.T, cfg RoomConfig) *Room {
	t.Helper()
	r := NewRoom(cfg, WithRoomClock(clock.NewFake(time.Unix(0, 0))))
	t.Cleanup(func() { _ = r.Close() })
	return r
}

// party seats a member that talks and hears, without an endpoint.
func party(t *testing.T, r *Room, name string, out Sink) *Member {
	t.Helper()
	m := &Member{room: r, name: name, talks: true, out: out, tones: true}
	if err := r.add(m, true); err != nil {
		t.Fatal(err)
	}
	return m
}

// distinctFreqs returns n frequencies 100 Hz apart from 400 Hz: none is a
// harmonic-free neighbour of another within 100 Hz.
func distinctFreqs(n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = 400 + 100*float64(i)
	}
	return out
}

// checkHearsOthers fails unless heard carries every frequency of others
// (a chord detector: all present, none more than 10 dB below the
// strongest, together 6 dB above the rest) and own is at least 30 dB
// below the weakest of them.
func checkHearsOthers(t *testing.T, who string, heard []int16, own float64, others []float64) {
	t.Helper()
	res := tone.NewDetector(tone.Config{Freqs: others, Reject: []float64{own}}).Analyse(heard)
	if !res.Present {
		t.Errorf("%s does not hear the %d others: %s (SNR %.1f dB, weakest %g Hz, twist %.1f dB)", who, len(others), res.Reason, res.SNR, res.WeakestFreq, res.Twist)
	}
	weakest := math.Inf(1)
	for _, f := range others {
		weakest = min(weakest, tone.Power(heard, f, SampleRate))
	}
	if p := tone.Power(heard, own, SampleRate); tone.DB(weakest, p) < 30 {
		t.Errorf("%s hears itself (%g Hz) only %.1f dB below the weakest other", who, own, tone.DB(weakest, p))
	}
}

// TestRoomMixesNMinusOne: 3, 10 and 32 parties, each sending its own
// frequency; after a second of ticks every party hears every other
// frequency and not its own.
func TestRoomMixesNMinusOne(t *testing.T) {
	for _, n := range []int{3, 10, 32} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			r := manualRoom(t, RoomConfig{Name: "800", MaxParties: 32})
			freqs := distinctFreqs(n)
			heard := make([]*collector, n)
			members := make([]*Member, n)
			gens := make([]*tone.Generator, n)
			for i := range n {
				heard[i] = &collector{}
				members[i] = party(t, r, fmt.Sprint(i), heard[i])
				gens[i] = tone.New(freqs[i], SampleRate, 0.3)
			}
			frame := make([]int16, FrameSamples)
			for range 50 {
				for i, m := range members {
					gens[i].Fill(frame)
					m.Write(frame)
				}
				if !r.tick() {
					t.Fatal("the room stopped with members in it")
				}
			}
			for i := range n {
				got := heard[i].samples()
				if len(got) != 50*FrameSamples {
					t.Fatalf("party %d got %d samples, want %d", i, len(got), 50*FrameSamples)
				}
				others := append(append([]float64(nil), freqs[:i]...), freqs[i+1:]...)
				checkHearsOthers(t, fmt.Sprintf("party %d", i), got[len(got)/2:], freqs[i], others)
			}
		})
	}
}

// TestRoomJoinAndLeaveTones: the first member hears the join tone (the
// plan's confirmation: 350+440 Hz in the US plan) as it joins; when a
// second member leaves, the first hears the leave tone — a single burst,
// where the join tone is three.
func TestRoomJoinAndLeaveTones(t *testing.T) {
	plan, err := TonePlanByName("us")
	if err != nil {
		t.Fatal(err)
	}
	join, leave, err := ConferenceTones(plan)
	if err != nil {
		t.Fatal(err)
	}
	r := manualRoom(t, RoomConfig{Name: "800", JoinTone: join, LeaveTone: leave})
	first := &collector{}
	party(t, r, "first", first)
	ticks := func(n int) []int16 {
		before := len(first.samples())
		for range n {
			r.tick()
		}
		return first.samples()[before:]
	}
	det := tone.NewDetector(tone.Config{Freqs: []float64{350, 440}})
	bursts := func(s []int16) int {
		n, on := 0, false
		for k := 0; k+FrameSamples <= len(s); k += FrameSamples {
			now := det.Analyse(s[k : k+FrameSamples]).Present
			if now && !on {
				n++
			}
			on = now
		}
		return n
	}
	if got := bursts(ticks(40)); got != 3 {
		t.Errorf("joining, the first member heard %d bursts of 350+440 Hz, want the join tone's 3", got)
	}
	second := party(t, r, "second", &collector{})
	ticks(40) // its join tone
	if got := bursts(ticks(40)); got != 0 {
		t.Fatalf("a quiet room played %d bursts", got)
	}
	second.Leave()
	if got := bursts(ticks(40)); got != 1 {
		t.Errorf("after a leave the first member heard %d bursts, want the leave tone's 1", got)
	}
	if r.Len() != 1 {
		t.Errorf("room has %d members, want 1", r.Len())
	}
}

// TestRoomFull: the seat limit refuses one member too many with
// ErrRoomFull; a seat freed by Leave can be taken again.
func TestRoomFull(t *testing.T) {
	r := manualRoom(t, RoomConfig{Name: "800", MaxParties: 2})
	a := party(t, r, "a", nil)
	party(t, r, "b", nil)
	if !r.Full() {
		t.Fatal("room of 2 with 2 members is not full")
	}
	if err := r.add(&Member{room: r, name: "c"}, false); !errors.Is(err, ErrRoomFull) {
		t.Fatalf("third member: %v, want ErrRoomFull", err)
	}
	a.Leave()
	party(t, r, "c", nil)
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.add(&Member{room: r, name: "d"}, false); !errors.Is(err, ErrClosed) {
		t.Fatalf("join after close: %v, want ErrClosed", err)
	}
}

// TestRoomEndpoints: three phones on an in-memory network — two µ-law, one
// A-law — joined through their endpoints, the room running on its own
// goroutine in real time: each phone hears the two others' frequencies in
// its own law and not its own; when one phone's endpoint closes (its call
// ended) it leaves the room.
func TestRoomEndpoints(t *testing.T) {
	nw := memnet.New()
	r := NewRoom(RoomConfig{Name: "800"})
	t.Cleanup(func() { _ = r.Close() })
	type ph struct {
		sock  *phoneSock
		ep    *Endpoint
		codec sdpneg.Codec
		freq  float64
	}
	phones := []*ph{
		{codec: pcmu, freq: 600},
		{codec: pcma, freq: 1150},
		{codec: pcmu, freq: 1700},
	}
	for i, p := range phones {
		p.sock = listenPhone(t, nw, fmt.Sprintf("10.0.0.%d:4000", i+1))
		p.ep = NewEndpoint(fmt.Sprint("p", i), memPair(t, nw, netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(20000+2*i))))
		t.Cleanup(func() { _ = p.ep.Close() })
		p.ep.SetLeg(legMedia(p.sock.addr(), p.codec))
		if _, err := r.Join(p.ep); err != nil {
			t.Fatal(err)
		}
	}
	// every phone sends 1.2 s of its tone in 20 ms packets, in real time
	const packets = 60
	var wg sync.WaitGroup
	for i, p := range phones {
		wg.Go(func() {
			gen := tone.New(p.freq, SampleRate, 0.3)
			frame := make([]int16, FrameSamples)
			payload := make([]byte, FrameSamples)
			tick := time.NewTicker(FrameDuration)
			defer tick.Stop()
			for k := range packets {
				gen.Fill(frame)
				for j, s := range frame {
					if p.codec.Name == "PCMA" {
						payload[j] = g711.EncodeAlawFrame(s)
					} else {
						payload[j] = g711.EncodeUlawFrame(s)
					}
				}
				p.sock.send(p.ep.Addr(), rtpPacket(p.codec.PT, uint16(k), uint32(k*FrameSamples), uint32(i+1), payload))
				<-tick.C
			}
		})
	}
	heard := make([][]int16, len(phones))
	for i, p := range phones {
		wg.Go(func() {
			for len(heard[i]) < packets*FrameSamples*3/4 {
				b, _ := p.sock.recv()
				h, ok := parseRTP(b)
				if !ok || h.pt != p.codec.PT {
					t.Errorf("phone %d got a packet of payload type %d, want %d (its law)", i, h.pt, p.codec.PT)
					return
				}
				for _, c := range b[h.off:h.end] {
					if p.codec.Name == "PCMA" {
						heard[i] = append(heard[i], g711.DecodeAlawFrame(c))
					} else {
						heard[i] = append(heard[i], g711.DecodeUlawFrame(c))
					}
				}
			}
		})
	}
	wg.Wait()
	for i, p := range phones {
		var others []float64
		for j, q := range phones {
			if j != i {
				others = append(others, q.freq)
			}
		}
		got := heard[i]
		checkHearsOthers(t, fmt.Sprintf("phone %d (%s)", i, p.codec.Name), got[len(got)/2:], p.freq, others)
	}
	_ = phones[2].ep.Close()
	deadline := time.Now().Add(10 * time.Second)
	for r.Len() != 2 && time.Now().Before(deadline) {
		time.Sleep(FrameDuration)
	}
	if r.Len() != 2 {
		t.Fatalf("room has %d members after one endpoint closed, want 2", r.Len())
	}
}

// TestRoomIdleMember: a member whose leg should send and has sent nothing
// for the OnIdle time is reported once, at the first tick after it; a
// member that keeps sending is not.
func TestRoomIdleMember(t *testing.T) {
	nw := memnet.New()
	clk := clock.NewFake(time.Unix(1000, 0))
	r := manualRoom(t, RoomConfig{Name: "800"})
	var idle [2]int
	var eps [2]*Endpoint
	var socks [2]*phoneSock
	for i := range eps {
		socks[i] = listenPhone(t, nw, fmt.Sprintf("10.0.0.%d:4000", i+1))
		eps[i] = NewEndpoint(fmt.Sprint("p", i), memPair(t, nw, netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(20000+2*i))), WithEndpointClock(clk))
		t.Cleanup(func() { _ = eps[i].Close() })
		eps[i].SetLeg(legMedia(socks[i].addr(), pcmu))
		if _, err := r.Join(eps[i], OnIdle(2*time.Second, func() { idle[i]++ })); err != nil {
			t.Fatal(err)
		}
	}
	talk := func() {
		t.Helper()
		socks[1].send(eps[1].Addr(), rtpPacket(0, 1, 160, 7, make([]byte, FrameSamples)))
		deadline := time.Now().Add(10 * time.Second)
		for eps[1].Stats().PacketsIn == 0 && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
	}
	clk.Advance(time.Second)
	talk()
	r.tick()
	if idle != [2]int{0, 0} {
		t.Fatalf("idle reports %v after 1 s", idle)
	}
	clk.Advance(1500 * time.Millisecond)
	r.tick()
	r.tick()
	if idle != [2]int{1, 0} {
		t.Fatalf("idle reports %v after 2.5 s (member 1 sent at 1 s), want member 0 once", idle)
	}
}

// countingReceiver counts the packets it gets.
type countingReceiver struct{ n int }

func (c *countingReceiver) ReceiveRTP(*Endpoint, Header, []byte) { c.n++ }

// TestRoomReceiverHooks: a member is hooked after a receiver already on
// its endpoint (a DTMF detector keeps getting every packet) and Leave puts
// that receiver back; an endpoint refused by a full room is left as it
// was.
func TestRoomReceiverHooks(t *testing.T) {
	nw := memnet.New()
	r := manualRoom(t, RoomConfig{Name: "800", MaxParties: 1})
	var eps [2]*Endpoint
	for i := range eps {
		eps[i] = NewEndpoint(fmt.Sprint("p", i), memPair(t, nw, netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(20000+2*i))))
		t.Cleanup(func() { _ = eps[i].Close() })
	}
	dtmf := &countingReceiver{}
	eps[0].SetReceiver(dtmf)
	m, err := r.Join(eps[0])
	if err != nil {
		t.Fatal(err)
	}
	eps[0].recv.Load().r.ReceiveRTP(eps[0], Header{Codec: pcmu}, make([]byte, FrameSamples))
	if dtmf.n != 1 || m.n != 1 {
		t.Fatalf("the first receiver got %d packets, the member %d frames; want 1 and 1", dtmf.n, m.n)
	}
	if _, err := r.Join(eps[1]); !errors.Is(err, ErrRoomFull) {
		t.Fatalf("second join: %v, want ErrRoomFull", err)
	}
	if eps[1].recv.Load() != nil {
		t.Error("the refused endpoint keeps a receiver")
	}
	m.Leave()
	if b := eps[0].recv.Load(); b == nil || b.r != dtmf {
		t.Error("Leave did not put the first receiver back")
	}
}

// TestRoomListenOnly: a listen-only member (a supervisor listening in)
// hears every talker, and no talker hears it.
func TestRoomListenOnly(t *testing.T) {
	r := manualRoom(t, RoomConfig{Name: "800"})
	freqs := []float64{600, 1150, 1700}
	heard := []*collector{{}, {}, {}}
	ms := []*Member{party(t, r, "a", heard[0]), party(t, r, "b", heard[1])}
	silent := &Member{room: r, name: "supervisor", out: heard[2]}
	ListenOnly()(silent)
	if err := r.add(silent, false); err != nil {
		t.Fatal(err)
	}
	gens := []*tone.Generator{tone.New(freqs[0], SampleRate, 0.3), tone.New(freqs[1], SampleRate, 0.3), tone.New(freqs[2], SampleRate, 0.3)}
	frame := make([]int16, FrameSamples)
	for range 50 {
		for i, m := range append(ms, silent) {
			gens[i].Fill(frame)
			m.Write(frame) // the supervisor's words are queued, never mixed
		}
		r.tick()
	}
	half := func(c *collector) []int16 { s := c.samples(); return s[len(s)/2:] }
	checkHearsOthers(t, "a", half(heard[0]), freqs[0], []float64{freqs[1]})
	checkHearsOthers(t, "supervisor", half(heard[2]), freqs[2], freqs[:2])
	for i := range ms {
		if p := tone.Power(half(heard[i]), freqs[2], SampleRate); p > 1e-6 {
			t.Errorf("talker %d hears the listen-only member (power %g)", i, p)
		}
	}
}

// TestRoomTapsAndSink: a call's two relayed endpoints tapped into a room
// with a sink (a recording): the sink gets both parties' audio, while each
// party still gets the other's packets straight from the relay, nothing
// from the room.
func TestRoomTapsAndSink(t *testing.T) {
	rg := newRig(t)
	rg.a.SetLeg(legMedia(rg.pa.addr(), pcmu))
	rg.b.SetLeg(legMedia(rg.pb.addr(), pcma))
	Link(rg.a, rg.b)
	r := NewRoom(RoomConfig{Name: "record"})
	t.Cleanup(func() { _ = r.Close() })
	for _, ep := range []*Endpoint{rg.a, rg.b} {
		if _, err := r.Tap(ep); err != nil {
			t.Fatal(err)
		}
	}
	sink := &collector{}
	if _, err := r.AddSink("recorder", sink); err != nil {
		t.Fatal(err)
	}
	ga, gb := tone.New(600, SampleRate, 0.3), tone.New(1150, SampleRate, 0.3)
	frame, payload := make([]int16, FrameSamples), make([]byte, FrameSamples)
	for k := range 40 {
		ga.Fill(frame)
		for i, s := range frame {
			payload[i] = g711.EncodeUlawFrame(s)
		}
		rg.pa.send(rg.a.Addr(), rtpPacket(0, uint16(k), uint32(k*FrameSamples), 1, payload))
		if got, _ := rg.pb.recv(); got[1]&0x7f != 8 {
			t.Fatalf("B got payload type %d, want the relay's PCMA", got[1]&0x7f)
		}
		gb.Fill(frame)
		for i, s := range frame {
			payload[i] = g711.EncodeAlawFrame(s)
		}
		rg.pb.send(rg.b.Addr(), rtpPacket(8, uint16(k), uint32(k*FrameSamples), 2, payload))
		if got, _ := rg.pa.recv(); got[1]&0x7f != 0 {
			t.Fatalf("A got payload type %d, want the relay's PCMU", got[1]&0x7f)
		}
		time.Sleep(FrameDuration)
	}
	got := sink.samples()
	if len(got) < 20*FrameSamples {
		t.Fatalf("the sink got %d samples", len(got))
	}
	res := tone.NewDetector(tone.Config{Freqs: []float64{600, 1150}}).Analyse(got[len(got)/4:])
	if !res.Present {
		t.Errorf("the sink does not hold both parties: %s", res.Reason)
	}
	if st := rg.a.Stats(); st.PacketsOut != 40 {
		t.Errorf("A was sent %d packets, want the relay's 40 and none from the room", st.PacketsOut)
	}
}
