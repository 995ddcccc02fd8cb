package media

import (
	"errors"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"pbxlab/internal/clock"
	"pbxlab/internal/memnet"
)

var loopback = netip.MustParseAddr("127.0.0.1")

// newTestPorts is an allocator on an in-memory network with a fake clock.
func newTestPorts(t *testing.T, lo, hi int, drain time.Duration) (*Ports, *clock.Fake, *memnet.Network) {
	t.Helper()
	nw := memnet.New()
	clk := clock.NewFake(time.Unix(1000, 0))
	p, err := NewPorts(lo, hi, drain, WithPortsClock(clk), WithPortsListen(nw.ListenPacket))
	if err != nil {
		t.Fatal(err)
	}
	return p, clk, nw
}

func TestPortsRange(t *testing.T) {
	tests := []struct {
		name      string
		lo, hi    int
		wantPorts []uint16 // every pair, in allocation order
	}{
		{"even bounds", 20000, 20005, []uint16{20000, 20002, 20004}},
		{"odd min rounds up", 20001, 20006, []uint16{20002, 20004}},
		{"even max leaves its RTCP out", 20000, 20004, []uint16{20000, 20002}},
		{"one pair", 40000, 40001, []uint16{40000}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, _, _ := newTestPorts(t, tt.lo, tt.hi, time.Second)
			if p.Pairs() != len(tt.wantPorts) {
				t.Fatalf("Pairs() = %d, want %d", p.Pairs(), len(tt.wantPorts))
			}
			var got []uint16
			for range tt.wantPorts {
				pr, err := p.Allocate(loopback)
				if err != nil {
					t.Fatal(err)
				}
				if a := addrOf(pr.RTCP); a.Port() != pr.Port()+1 || pr.Port()%2 != 0 || addrOf(pr.RTP) != pr.Addr {
					t.Fatalf("pair RTP %s RTCP %s: want even RTP port and RTCP on the next", addrOf(pr.RTP), a)
				}
				got = append(got, pr.Port())
			}
			for i := range got {
				if got[i] != tt.wantPorts[i] {
					t.Fatalf("ports %v, want %v", got, tt.wantPorts)
				}
			}
			if _, err := p.Allocate(loopback); !errors.Is(err, ErrNoPorts) {
				t.Fatalf("allocate beyond the range: %v, want ErrNoPorts", err)
			}
		})
	}
}

func TestNewPortsRefusesBadRanges(t *testing.T) {
	for _, r := range [][3]int{{0, 10, 0}, {20000, 70000, 0}, {20001, 20002, 0}, {20000, 20001, -1}} {
		if _, err := NewPorts(r[0], r[1], time.Duration(r[2])); !errors.Is(err, ErrBadConfig) {
			t.Errorf("NewPorts(%v) = %v, want ErrBadConfig", r, err)
		}
	}
}

// TestPortsDrain: a released pair is not handed out again before the drain
// time, even when it is the only one; after it, it is.
func TestPortsDrain(t *testing.T) {
	p, clk, nw := newTestPorts(t, 30000, 30003, 10*time.Second)
	a, err := p.Allocate(loopback)
	if err != nil {
		t.Fatal(err)
	}
	b, err := p.Allocate(loopback)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Release(); err != nil {
		t.Fatal(err)
	}
	if err := a.Release(); err != nil {
		t.Fatalf("second release: %v", err)
	}
	// the port is closed: a stray packet to it is dropped by the network
	before := nw.Stats().NoListener
	sender, _ := nw.ListenPacket("udp4", "127.0.0.9:5000")
	_, _ = sender.WriteTo([]byte("stray"), net.UDPAddrFromAddrPort(a.Addr))
	if nw.Stats().NoListener != before+1 {
		t.Fatal("a released RTP port still receives")
	}
	if st := p.Stats(); st != (PortStats{InUse: 1, Draining: 1, Free: 0}) {
		t.Fatalf("stats %+v", st)
	}
	if _, err := p.Allocate(loopback); !errors.Is(err, ErrNoPorts) {
		t.Fatalf("allocate while the only free pair drains: %v, want ErrNoPorts", err)
	}
	clk.Advance(9 * time.Second)
	if _, err := p.Allocate(loopback); !errors.Is(err, ErrNoPorts) {
		t.Fatalf("allocate 1 s before the drain ends: %v, want ErrNoPorts", err)
	}
	clk.Advance(time.Second)
	c, err := p.Allocate(loopback)
	if err != nil {
		t.Fatalf("allocate after the drain: %v", err)
	}
	if c.Port() != a.Port() {
		t.Fatalf("got port %d, want the drained %d", c.Port(), a.Port())
	}
	_ = b.Release()
	_ = c.Release()
}

// TestPortsSkipsBusyPorts: ports held by someone else (RTP or RTCP) are
// skipped, and the error says how many.
func TestPortsSkipsBusyPorts(t *testing.T) {
	p, _, nw := newTestPorts(t, 30000, 30005, 0)
	if _, err := nw.ListenPacket("udp4", "127.0.0.1:30000"); err != nil {
		t.Fatal(err)
	}
	if _, err := nw.ListenPacket("udp4", "127.0.0.1:30003"); err != nil {
		t.Fatal(err)
	}
	pr, err := p.Allocate(loopback)
	if err != nil {
		t.Fatal(err)
	}
	if pr.Port() != 30004 {
		t.Fatalf("port %d, want 30004 (30000 and 30003 are taken)", pr.Port())
	}
	_, err = p.Allocate(loopback)
	if !errors.Is(err, ErrNoPorts) {
		t.Fatalf("err = %v, want ErrNoPorts", err)
	}
	if want := "allocate rtp ports 30000-30005 on 127.0.0.1: no free RTP port pair (1 in use, 0 draining, 2 not bindable)"; err.Error() != want {
		t.Fatalf("error %q\nwant  %q", err, want)
	}
}

func TestPortsClosed(t *testing.T) {
	p, _, _ := newTestPorts(t, 30000, 30005, 0)
	p.Close()
	if _, err := p.Allocate(loopback); !errors.Is(err, ErrClosed) {
		t.Fatalf("allocate after Close: %v", err)
	}
}

// TestPortsConcurrent: many goroutines allocating and releasing real
// sockets never get the same pair at once, and never a draining one.
func TestPortsConcurrent(t *testing.T) {
	p, err := NewPorts(41000, 41399, 0)
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		inUse = map[uint16]bool{}
		wg    sync.WaitGroup
		errs  = make(chan error, 16)
	)
	for range 16 {
		wg.Go(func() {
			for range 40 {
				pr, err := p.Allocate(loopback)
				if errors.Is(err, ErrNoPorts) {
					continue // another program holds ports of the range
				}
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				dup := inUse[pr.Port()]
				inUse[pr.Port()] = true
				mu.Unlock()
				if dup {
					errs <- errors.New("pair handed out twice")
					return
				}
				mu.Lock()
				delete(inUse, pr.Port())
				mu.Unlock()
				if err := pr.Release(); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if st := p.Stats(); st.InUse != 0 {
		t.Errorf("stats after every release: %+v", st)
	}
}

func addrOf(c net.PacketConn) netip.AddrPort {
	ap, _ := netip.ParseAddrPort(c.LocalAddr().String())
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}
