package sipprobe

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"

	"pbxlab/internal/leakcheck"
	"pbxlab/pbx/pbxtest"
)

func TestProbeAnswersOnceThePBXRuns(t *testing.T) {
	leakcheck.Check(t)
	inst, err := pbxtest.Start(nil, pbxtest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Close()
	for _, tc := range []struct {
		transport string
		addr      netip.AddrPort
	}{{"udp", inst.UDP}, {"tcp", inst.TCP}} {
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		res, err := Probe(ctx, tc.addr, tc.transport, nil)
		cancel()
		if err != nil {
			t.Fatalf("%s: %v", tc.transport, err)
		}
		if res.StatusCode != 200 {
			t.Errorf("%s: OPTIONS got %d, want 200", tc.transport, res.StatusCode)
		}
	}
}

// A socket that reads and never answers: the probe retries until its
// deadline and says so.
func TestProbeGivesUpOnASilentServer(t *testing.T) {
	leakcheck.Check(t)
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	got := make(chan int, 1)
	go func() {
		n, buf := 0, make([]byte, 65535)
		for {
			if _, _, err := pc.ReadFrom(buf); err != nil {
				got <- n
				return
			}
			n++
		}
	}()
	ctx, cancel := context.WithTimeout(t.Context(), 2*Attempt+pause)
	defer cancel()
	addr := pc.LocalAddr().(*net.UDPAddr).AddrPort()
	if _, err := Probe(ctx, addr, "udp", nil); !errors.Is(err, ErrNotReady) {
		t.Fatalf("err %v, want ErrNotReady", err)
	}
	pc.Close()
	if n := <-got; n < 2 {
		t.Errorf("the silent server read %d datagrams, want the probe's OPTIONS and its retries", n)
	}
}

func TestProbeRejectsUnknownTransport(t *testing.T) {
	if _, err := Probe(t.Context(), netip.MustParseAddrPort("127.0.0.1:5060"), "sctp", nil); !errors.Is(err, ErrUsage) {
		t.Fatalf("err %v, want ErrUsage", err)
	}
}
