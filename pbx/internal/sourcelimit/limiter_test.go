package sourcelimit

import (
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"
)

// fakeClock is a clock the test moves.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *fakeClock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

var (
	attacker = netip.MustParseAddr("192.0.2.66")
	phone    = netip.MustParseAddr("192.0.2.10")
)

// allowed counts how many of n messages from src Allow lets through.
func allowed(l *Limiter, src netip.Addr, n int) int {
	ok := 0
	for range n {
		if l.Allow(src) {
			ok++
		}
	}
	return ok
}

func TestNewOffWithoutLimits(t *testing.T) {
	l := New(Config{})
	if l != nil {
		t.Fatalf("New(Config{}) = %p, want nil (off)", l)
	}
	if !l.Allow(attacker) || !l.Open(attacker) || l.Blocked(attacker) {
		t.Fatal("a nil Limiter must allow everything and block nothing")
	}
	l.Closed(attacker)
	if st := l.Stats(); st != (Stats{}) {
		t.Fatalf("nil Limiter Stats = %+v, want zero", st)
	}
}

func TestBurstThenBlock(t *testing.T) {
	tests := []struct {
		name        string
		rate, burst float64
		wantBurst   int
	}{
		{"explicit burst", 10, 25, 25},
		{"default burst 4x rate", 10, 0, 40},
		{"default burst at least 1", 0.1, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newFakeClock()
			var blocked []netip.Addr
			var until time.Time
			var reason string
			l := New(Config{Rate: tt.rate, Burst: tt.burst, BlockFor: 30 * time.Second, Now: clk.Now,
				OnBlock: func(a netip.Addr, u time.Time, why string) { blocked = append(blocked, a); until = u; reason = why }})
			if got := allowed(l, attacker, 1000); got != tt.wantBurst {
				t.Fatalf("a burst of 1000 at once: %d allowed, want the bucket's %d", got, tt.wantBurst)
			}
			if len(blocked) != 1 || blocked[0] != attacker || reason != ReasonRate {
				t.Fatalf("OnBlock calls = %v (%s), want one for %v (rate)", blocked, reason, attacker)
			}
			if want := clk.Now().Add(30 * time.Second); !until.Equal(want) {
				t.Fatalf("blocked until %v, want %v", until, want)
			}
			if !l.Blocked(attacker) || l.Blocked(phone) {
				t.Fatal("only the attacker must be blocked")
			}
			if got := allowed(l, phone, 1); got != 1 {
				t.Fatal("another source must not be limited by the attacker")
			}
			clk.Advance(29 * time.Second) // the bucket is full again, the block goes on
			if l.Allow(attacker) {
				t.Fatal("a blocked source allowed before BlockFor ended")
			}
			clk.Advance(time.Second)
			if l.Blocked(attacker) || !l.Allow(attacker) {
				t.Fatal("the block must end after BlockFor")
			}
			st := l.Stats()
			if st.Blocks != 1 || st.Dropped != uint64(1000-tt.wantBurst+1) {
				t.Fatalf("Stats = %+v, want 1 block and %d dropped", st, 1000-tt.wantBurst+1)
			}
		})
	}
}

func TestSustainedRateIsNotBlocked(t *testing.T) {
	clk := newFakeClock()
	l := New(Config{Rate: 20, Burst: 5, Now: clk.Now})
	// 20 messages a second, evenly spaced, for a minute: always a token.
	for i := range 20 * 60 {
		if !l.Allow(phone) {
			t.Fatalf("message %d at the sustained rate refused", i)
		}
		clk.Advance(50 * time.Millisecond)
	}
	// 25 a second is over the rate: the bucket of 5 runs dry within a second.
	refusedAt := -1
	for i := range 25 * 5 {
		if !l.Allow(phone) {
			refusedAt = i
			break
		}
		clk.Advance(40 * time.Millisecond)
	}
	if refusedAt < 0 || refusedAt > 30 {
		t.Fatalf("25 messages/s against a rate of 20 and a burst of 5: first refusal at message %d, want within ~25", refusedAt)
	}
}

func TestExempt(t *testing.T) {
	clk := newFakeClock()
	l := New(Config{Rate: 1, Burst: 1, Now: clk.Now, Exempt: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/28")}})
	if got := allowed(l, phone, 500); got != 500 {
		t.Fatalf("exempt source: %d of 500 allowed", got)
	}
	mapped := netip.AddrFrom16(phone.As16()) // ::ffff:192.0.2.10, as a dual-stack socket reports it
	if got := allowed(l, mapped, 500); got != 500 {
		t.Fatalf("exempt source as an IPv4-mapped address: %d of 500 allowed", got)
	}
	if got := allowed(l, attacker, 500); got != 1 {
		t.Fatalf("source outside the exempt prefix: %d of 500 allowed, want 1", got)
	}
	if st := l.Stats(); st.Sources != 1 {
		t.Fatalf("Stats.Sources = %d, want 1 (exempt sources are not tracked)", st.Sources)
	}
}

func TestConnections(t *testing.T) {
	clk := newFakeClock()
	l := New(Config{Rate: 100, Connections: 2, Now: clk.Now})
	if !l.Open(attacker) || !l.Open(attacker) {
		t.Fatal("the first two connections must be allowed")
	}
	if l.Open(attacker) {
		t.Fatal("a third connection at once must be refused")
	}
	if l.Blocked(attacker) {
		t.Fatal("over the connection bound is refused, not blocked: its open connections go on")
	}
	if !l.Allow(attacker) {
		t.Fatal("messages on the open connections must go on")
	}
	l.Closed(attacker)
	if !l.Open(attacker) {
		t.Fatal("a connection must be allowed again once one closed")
	}
}

func TestAuthFailures(t *testing.T) {
	clk := newFakeClock()
	var blocks int
	l := New(Config{AuthFailures: 3, BlockFor: time.Minute, Now: clk.Now, OnBlock: func(_ netip.Addr, _ time.Time, why string) {
		if why != ReasonAuthFailures {
			t.Errorf("blocked for %q, want %q", why, ReasonAuthFailures)
		}
		blocks++
	}})
	if got := allowed(l, attacker, 1000); got != 1000 {
		t.Fatalf("without a rate, %d of 1000 messages allowed", got)
	}
	for i := range 3 {
		l.Fail(attacker)
		if l.Blocked(attacker) {
			t.Fatalf("blocked after %d refused credentials, want after the 4th", i+1)
		}
	}
	l.Fail(attacker)
	if !l.Blocked(attacker) || l.Allow(attacker) || blocks != 1 {
		t.Fatalf("after 4 refused credentials: blocked %v, blocks %d; want blocked once", l.Blocked(attacker), blocks)
	}
	l.Fail(attacker) // a credential read just before the block: no second block
	if blocks != 1 {
		t.Fatalf("%d blocks, want 1", blocks)
	}
	clk.Advance(time.Minute)
	if !l.Allow(attacker) {
		t.Fatal("still blocked after BlockFor")
	}
	// 3 per minute refill: one every 20 s never empties the bucket
	for i := range 30 {
		l.Fail(phone)
		if l.Blocked(phone) {
			t.Fatalf("a source failing once every 20 s blocked at failure %d", i+1)
		}
		clk.Advance(20 * time.Second)
	}
	exempt := New(Config{AuthFailures: 1, Exempt: []netip.Prefix{netip.PrefixFrom(phone, 32)}})
	for range 10 {
		exempt.Fail(phone)
	}
	if exempt.Blocked(phone) {
		t.Fatal("an exempt source was blocked for refused credentials")
	}
	var nilL *Limiter
	nilL.Fail(attacker) // off: nothing to do, no panic
}

func TestBlocksAndUnblock(t *testing.T) {
	clk := newFakeClock()
	l := New(Config{Rate: 1, Burst: 1, BlockFor: time.Minute, Now: clk.Now})
	other := netip.MustParseAddr("192.0.2.5")
	allowed(l, attacker, 5)
	clk.Advance(time.Second)
	allowed(l, other, 5)
	want := []Block{{other, clk.Now().Add(time.Minute)}, {attacker, clk.Now().Add(59 * time.Second)}}
	if got := l.Blocks(); !slices.Equal(got, want) {
		t.Fatalf("Blocks = %v, want %v (address order)", got, want)
	}
	if l.Unblock(phone) {
		t.Fatal("Unblock of a source not blocked reported true")
	}
	if !l.Unblock(attacker) || l.Blocked(attacker) || !l.Allow(attacker) {
		t.Fatal("an unblocked source must be served at once, with a full bucket")
	}
	if got := l.Blocks(); len(got) != 1 || got[0].Source != other {
		t.Fatalf("Blocks after Unblock = %v", got)
	}
	var off *Limiter
	if off.Blocks() != nil || off.Unblock(attacker) {
		t.Fatal("a nil Limiter has no blocks")
	}
}

func TestConnectionsWithoutRate(t *testing.T) {
	l := New(Config{Connections: 1})
	if !l.Open(attacker) || l.Open(attacker) {
		t.Fatal("connections: 1 without a rate must allow one connection and refuse the second")
	}
	if got := allowed(l, attacker, 1000); got != 1000 {
		t.Fatalf("without a rate, %d of 1000 messages allowed", got)
	}
	l.Fail(attacker) // auth failures off: no effect
	if l.Blocked(attacker) {
		t.Fatal("blocked with auth failures off")
	}
}

func TestSweepAndMaxSources(t *testing.T) {
	clk := newFakeClock()
	l := New(Config{Rate: 10, Burst: 10, MaxSources: nShards * 4, Now: clk.Now})
	// sources blocked or with a connection open survive the sweep
	for range 11 {
		l.Allow(attacker)
	}
	l.Open(phone)
	n := 0
	for i := range 4096 {
		a := netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)})
		if l.Allow(a) {
			n++
		}
	}
	st := l.Stats()
	if n != 4096 {
		t.Fatalf("%d of 4096 first messages allowed, want all", n)
	}
	if st.Sources > nShards*4 || st.Untracked == 0 || st.Sources+int(st.Untracked) != 4096+2 {
		t.Fatalf("Stats = %+v: want at most %d sources tracked and the rest counted untracked", st, nShards*4)
	}
	// 10 s after their buckets filled again the idle sources are swept
	// away, making room: most of 512 new sources are tracked (without the
	// sweep all 512 would be untracked).
	clk.Advance(time.Second + idleAfter + time.Millisecond)
	u0 := l.Stats().Untracked
	for i := range nShards * 8 {
		l.Allow(netip.AddrFrom4([4]byte{172, 16, byte(i >> 8), byte(i)}))
	}
	if !l.Blocked(attacker) {
		t.Fatal("the sweep dropped a blocked source")
	}
	if u := l.Stats().Untracked - u0; u > 400 {
		t.Fatalf("%d of 512 new sources untracked after the idle ones' time: the sweep made no room", u)
	}
	l.Closed(phone)
	if l.Blocked(phone) {
		t.Fatal("a source with a connection open got blocked")
	}
}

func TestConcurrentUse(t *testing.T) {
	l := New(Config{Rate: 1e6, Connections: 4})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 2000 {
				a := netip.AddrFrom4([4]byte{10, byte(g), 0, byte(i % 16)})
				if l.Open(a) {
					l.Allow(a)
					l.Closed(a)
				}
				_ = l.Blocked(a)
			}
		})
	}
	wg.Wait()
	if st := l.Stats(); st.Blocked != 0 || st.Sources != 8*16 {
		t.Fatalf("Stats = %+v, want 128 sources, none blocked", st)
	}
}

func Example() {
	l := New(Config{Rate: 50, Burst: 100, BlockFor: time.Minute})
	src := netip.MustParseAddr("203.0.113.9")
	n := 0
	for range 1000 { // a flood: 1,000 messages at once
		if l.Allow(src) {
			n++
		}
	}
	fmt.Println(n, "allowed; blocked:", l.Blocked(src))
	// Output: 100 allowed; blocked: true
}

func BenchmarkAllow(b *testing.B) {
	l := New(Config{Rate: 1e9})
	srcs := make([]netip.Addr, 1024)
	for i := range srcs {
		srcs[i] = netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)})
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		l.Allow(srcs[i%len(srcs)])
	}
}
