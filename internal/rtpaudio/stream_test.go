package rtpaudio

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"pbxlab/internal/sdpneg"
	"pbxlab/internal/tone"
)

const (
	freqA = 1400.0
	freqB = 2200.0
)

func hearsOnly(expect, own float64) *tone.Detector {
	return tone.NewDetector(tone.Config{Freq: expect, Reject: []float64{own}})
}

func sender(freq float64) func([]int16) { return tone.New(freq, 8000, 0.5).Fill }

func TestTwoWayAudio(t *testing.T) {
	for _, codec := range []sdpneg.Codec{sdpneg.PCMU(), sdpneg.PCMA()} {
		t.Run(codec.Name, func(t *testing.T) {
			noLeaks(t)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			a, b := listen(t, WithCodec(codec)), listen(t, WithCodec(codec))
			a.SetRemote(b.LocalAddr())
			b.SetRemote(a.LocalAddr())
			start(t, ctx, a.Run)
			start(t, ctx, b.Run)
			start(t, ctx, func(ctx context.Context) error { return a.Send(ctx, sender(freqA)) })
			start(t, ctx, func(ctx context.Context) error { return b.Send(ctx, sender(freqB)) })

			aHearsB, bHearsA := hearsOnly(freqB, freqA), hearsOnly(freqA, freqB)
			if !eventually(5*time.Second, func() bool { return a.Hears(aHearsB) && b.Hears(bHearsA) }) {
				t.Fatalf("no two-way audio: A %+v, B %+v", a.Analyse(aHearsB), b.Analyse(bHearsA))
			}
			// Each side refuses its own tone: that would be echo.
			if a.Hears(hearsOnly(freqA, freqB)) || b.Hears(hearsOnly(freqB, freqA)) {
				t.Fatal("a stream reports its own tone")
			}
			for name, s := range map[string]*Stream{"A": a, "B": b} {
				st := s.Stats()
				if st.PacketsIn == 0 || st.PacketsOut == 0 || st.BytesIn != 160*st.PacketsIn || st.Malformed != 0 || st.Lost != 0 {
					t.Errorf("%s stats = %+v", name, st)
				}
			}
			if st := a.Stats(); st.LastSource != b.LocalAddr() {
				t.Errorf("A LastSource = %v, want %v", st.LastSource, b.LocalAddr())
			}
		})
	}
}

// TestSilentLegNegativeControl: B sends nothing, so A must not hear a tone
// while B hears A fine.
func TestSilentLegNegativeControl(t *testing.T) {
	noLeaks(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	a, b := listen(t), listen(t)
	a.SetRemote(b.LocalAddr())
	b.SetRemote(a.LocalAddr())
	start(t, ctx, a.Run)
	start(t, ctx, b.Run)
	start(t, ctx, func(ctx context.Context) error { return a.Send(ctx, sender(freqA)) })
	start(t, ctx, func(ctx context.Context) error { return b.Send(ctx, nil) })

	if !eventually(5*time.Second, func() bool { return b.Hears(hearsOnly(freqA, freqB)) }) {
		t.Fatal("B never heard A")
	}
	time.Sleep(500 * time.Millisecond) // a full listen window more of A sending
	r := a.Analyse(hearsOnly(freqB, freqA))
	if r.Present || r.Reason != "no audio" {
		t.Fatalf("A hears the silent leg: %+v", r)
	}
	if st := a.Stats(); st.PacketsIn != 0 || b.Stats().PacketsOut != 0 {
		t.Fatalf("silent leg sent packets: A in %d, B out %d", st.PacketsIn, b.Stats().PacketsOut)
	}
}

// TestMalformedDatagramsIgnored sends junk between real packets.
func TestMalformedDatagramsIgnored(t *testing.T) {
	noLeaks(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	a, b := listen(t), listen(t)
	a.SetRemote(b.LocalAddr())
	start(t, ctx, b.Run)
	start(t, ctx, func(ctx context.Context) error { return a.Send(ctx, sender(freqA)) })

	junk, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer junk.Close()
	datagrams := [][]byte{{0x80}, {0x00, 0x01, 0x02}, make([]byte, 11), append([]byte{0x40}, make([]byte, 20)...)}
	for _, d := range datagrams {
		if _, err := junk.WriteTo(d, net.UDPAddrFromAddrPort(b.LocalAddr())); err != nil {
			t.Fatal(err)
		}
	}
	if !eventually(5*time.Second, func() bool {
		return b.Stats().Malformed == uint64(len(datagrams)) && b.Hears(hearsOnly(freqA, freqB))
	}) {
		t.Fatalf("stats %+v, analyse %+v", b.Stats(), b.Analyse(hearsOnly(freqA, freqB)))
	}
}

func TestTapSeesBothDirections(t *testing.T) {
	noLeaks(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var mu sync.Mutex
	seen := map[Dir]int{}
	a := listen(t, WithTap(func(dir Dir, _, _ netip.AddrPort, payload []byte) {
		mu.Lock()
		defer mu.Unlock()
		if len(payload) == 12+160 {
			seen[dir]++
		}
	}))
	b := listen(t)
	a.SetRemote(b.LocalAddr())
	b.SetRemote(a.LocalAddr())
	start(t, ctx, a.Run)
	start(t, ctx, func(ctx context.Context) error { return a.Send(ctx, sender(freqA)) })
	start(t, ctx, func(ctx context.Context) error { return b.Send(ctx, sender(freqB)) })
	if !eventually(5*time.Second, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return seen[In] >= 3 && seen[Out] >= 3
	}) {
		t.Fatalf("tap saw %v", seen)
	}
}

func TestLifecycle(t *testing.T) {
	noLeaks(t)
	s, err := Listen(loopback)
	if err != nil {
		t.Fatal(err)
	}
	if s.LocalAddr().Port()%2 != 0 {
		t.Errorf("odd RTP port %d", s.LocalAddr().Port())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	runErr := make(chan error, 1)
	go func() { runErr <- s.Run(ctx) }()
	sendErr := make(chan error, 1)
	go func() { sendErr <- s.Send(ctx, nil) }()
	if !eventually(time.Second, func() bool { return s.running.Load() && s.sending.Load() }) {
		t.Fatal("Run/Send did not start")
	}
	if err := s.Run(ctx); !errors.Is(err, ErrBusy) {
		t.Errorf("second Run = %v", err)
	}
	if err := s.Send(ctx, nil); !errors.Is(err, ErrBusy) {
		t.Errorf("second Send = %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if s.running.Load() || s.sending.Load() {
		t.Error("Close returned before Run and Send")
	}
	for name, c := range map[string]chan error{"Run": runErr, "Send": sendErr} {
		select {
		case err := <-c:
			if err != nil {
				t.Errorf("%s after Close = %v", name, err)
			}
		case <-time.After(3 * time.Second):
			t.Errorf("%s did not return after Close", name)
		}
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
	if err := s.Run(ctx); !errors.Is(err, ErrClosed) {
		t.Errorf("Run after Close = %v", err)
	}
}

func TestRunStopsOnContext(t *testing.T) {
	noLeaks(t)
	s := listen(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	time.Sleep(20 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run = %v", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("Run ignored cancellation")
	}
	// The stream can run again after a cancelled Run.
	ctx2, cancel2 := context.WithCancel(context.Background())
	go func() { done <- s.Run(ctx2) }()
	cancel2()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("second Run = %v", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("second Run ignored cancellation")
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	tests := []struct {
		name string
		opt  Option
		err  error
	}{
		{"G729", WithCodec(sdpneg.Codec{PT: 18, Name: "G729", Rate: 8000}), ErrUnsupportedCodec},
		{"telephone-event", WithCodec(sdpneg.TelephoneEvent()), ErrUnsupportedCodec},
		{"zero ptime", WithPTime(0), ErrBadPTime},
		{"fractional sample", WithPTime(time.Microsecond), ErrBadPTime},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := net.ListenPacket("udp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if _, err := New(c, tt.opt); !errors.Is(err, tt.err) {
				t.Fatalf("New = %v, want %v", err, tt.err)
			}
		})
	}
}
