package impair

import (
	"fmt"
	"net"
	"slices"
	"strconv"
	"testing"
	"testing/synctest"
	"time"

	"pbxlab/internal/memnet"
)

// pair is an impaired socket (phone) and a plain one (far) on one in-memory
// network, inside a bubble.
type pair struct {
	nw    *memnet.Network
	phone *Conn
	far   net.PacketConn
}

func newPair(t *testing.T, cfg Config, seed int64) *pair {
	t.Helper()
	nw := memnet.New()
	pc, err := nw.ListenPacket("udp", "10.0.0.1:5060")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Wrap(pc, cfg, seed, WithListen(nw.ListenPacket))
	if err != nil {
		t.Fatal(err)
	}
	far, err := nw.ListenPacket("udp", "10.0.0.2:5060")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = c.Close()
		_ = far.Close()
	})
	return &pair{nw: nw, phone: c, far: far}
}

// collect reads pc while send runs and for a second of virtual time more,
// then closes pc and returns what arrived, with when.
func collect(pc net.PacketConn, send func()) (msgs []string, at []time.Time) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 2048)
		for {
			n, _, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			msgs = append(msgs, string(buf[:n]))
			at = append(at, time.Now())
		}
	}()
	send()
	time.Sleep(time.Second)
	_ = pc.Close()
	<-done
	return msgs, at
}

// sendN writes datagrams "0".."n-1" from src to dst, gap apart.
func sendN(t *testing.T, src net.PacketConn, dst net.Addr, n int, gap time.Duration) {
	t.Helper()
	for i := range n {
		if _, err := src.WriteTo([]byte(strconv.Itoa(i)), dst); err != nil {
			t.Fatal(err)
		}
		if gap > 0 {
			time.Sleep(gap)
		}
	}
}

// TestLossIsSeeded: the same seed drops the same datagrams, in both
// directions; another seed drops others.
func TestLossIsSeeded(t *testing.T) {
	run := func(t *testing.T, seed int64, inbound bool) []string {
		var got []string
		synctest.Test(t, func(t *testing.T) {
			p := newPair(t, Config{Loss: 30}, seed)
			if inbound {
				got, _ = collect(p.phone, func() { sendN(t, p.far, p.phone.LocalAddr(), 200, 0) })
			} else {
				got, _ = collect(p.far, func() { sendN(t, p.phone, p.far.LocalAddr(), 200, 0) })
			}
			s := p.phone.Stats()
			lost := s.SentLost + s.RecvLost
			if int(lost)+len(got) != 200 {
				t.Errorf("%d lost + %d received != 200 sent (%+v)", lost, len(got), s)
			}
		})
		return got
	}
	for _, inbound := range []bool{false, true} {
		t.Run(fmt.Sprintf("inbound=%v", inbound), func(t *testing.T) {
			a, b, other := run(t, 1, inbound), run(t, 1, inbound), run(t, 2, inbound)
			if len(a) == 0 || len(a) == 200 {
				t.Fatalf("30%% loss delivered %d of 200", len(a))
			}
			if !slices.Equal(a, b) {
				t.Errorf("same seed, different deliveries:\n%v\n%v", a, b)
			}
			if slices.Equal(a, other) {
				t.Errorf("seeds 1 and 2 delivered the same datagrams")
			}
		})
	}
}

// TestDelayJitterDuplicateReorder: each impairment's effect on the
// datagrams' arrival, in virtual time.
func TestDelayJitterDuplicateReorder(t *testing.T) {
	for _, tc := range []struct {
		name  string
		cfg   Config
		check func(t *testing.T, got []string, arrived []time.Duration)
	}{
		{"delay", Config{Delay: 80 * time.Millisecond}, func(t *testing.T, got []string, at []time.Duration) {
			for i := range got {
				if at[i] != 80*time.Millisecond {
					t.Errorf("datagram %s took %v, want 80ms", got[i], at[i])
				}
			}
		}},
		{"jitter", Config{Delay: 80 * time.Millisecond, Jitter: 40 * time.Millisecond}, func(t *testing.T, got []string, at []time.Duration) {
			distinct := map[time.Duration]bool{}
			for i := range got {
				distinct[at[i]] = true
				if at[i] < 40*time.Millisecond || at[i] > 120*time.Millisecond {
					t.Errorf("datagram %s took %v, want 80ms ± 40ms", got[i], at[i])
				}
			}
			if len(distinct) < 10 {
				t.Errorf("only %d distinct delays over %d datagrams", len(distinct), len(got))
			}
		}},
		{"duplicate", Config{Duplicate: 100}, func(t *testing.T, got []string, _ []time.Duration) {
			if len(got) != 100 {
				t.Errorf("%d datagrams, want every one of 50 twice", len(got))
			}
		}},
		{"reorder", Config{Reorder: 30, ReorderGap: 5 * time.Millisecond}, func(t *testing.T, got []string, _ []time.Duration) {
			if len(got) != 50 {
				t.Errorf("%d datagrams, want 50", len(got))
			}
			if slices.IsSortedFunc(got, func(a, b string) int { x, _ := strconv.Atoi(a); y, _ := strconv.Atoi(b); return x - y }) {
				t.Errorf("30%% reordered, yet arrived in order: %v", got)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := newPair(t, tc.cfg, 9)
				start := time.Now() // datagram i leaves at start + i ms
				got, when := collect(p.far, func() { sendN(t, p.phone, p.far.LocalAddr(), 50, time.Millisecond) })
				took := make([]time.Duration, len(got))
				for j, m := range got {
					i, _ := strconv.Atoi(m)
					took[j] = when[j].Sub(start.Add(time.Duration(i) * time.Millisecond))
				}
				tc.check(t, got, took)
			})
		})
	}
}
