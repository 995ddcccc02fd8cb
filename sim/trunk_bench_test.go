package sim

import (
	"context"
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"pbxlab/sim/carrier"
	"pbxlab/sim/phone"
)

// BenchmarkTrunkCallsOut measures calls per second out through a trunk:
// phone → pbxlab (number analysis, route "out", the 9 stripped) → the
// simulated carrier, which answers at once; the caller hangs up (BYE)
// as soon as it is answered. Signalling only (no RTP); 16 calls in flight
// from 20 registered phones to 100 carrier numbers. Run it with
// `go test -run XXX -bench TrunkCalls -benchtime 200x ./sim/`.
func BenchmarkTrunkCallsOut(b *testing.B) {
	const (
		phones   = 20
		numbers  = 100
		inFlight = 16
	)
	tc, err := carrier.New(carrier.Config{LocalIP: carrierIP, SignallingOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = tc.Close() })
	in := startPBXTrunkedTo(b, tc.Addr())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()

	agent, err := phone.NewAgent(phone.Config{LocalIP: netip.MustParseAddr("127.0.0.1"), Target: in.Target(), SignallingOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = agent.Close() })
	var callers []*phone.Phone
	for i := range phones {
		n := fmt.Sprint(1000 + i)
		p, err := agent.NewPhone(phone.PhoneConfig{Number: n, Password: "demo" + n})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := p.Register(ctx); err != nil {
			b.Fatal(err)
		}
		callers = append(callers, p)
	}
	call := func(i int) error {
		p := callers[i%phones]
		c, err := p.Dial(ctx, fmt.Sprintf("9%07d", 201000+i%numbers))
		if err != nil {
			return err
		}
		if err := c.WaitAnswer(ctx); err != nil {
			return err
		}
		if err := c.Hangup(ctx); err != nil {
			return err
		}
		_, err = c.Wait(ctx)
		return err
	}
	if err := call(0); err != nil { // warm up: the route, the carrier's phone
		b.Fatal(err)
	}

	var next atomic.Int64
	var failed atomic.Int64
	var firstErr sync.Once
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for range inFlight {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= b.N {
					return
				}
				if err := call(i); err != nil {
					failed.Add(1)
					firstErr.Do(func() { b.Errorf("call %d: %v", i, err) })
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "calls/s")
	if f := failed.Load(); f > 0 {
		b.Fatalf("%d of %d calls failed", f, b.N)
	}
	if got := len(tc.Invites()); got != b.N+1 {
		b.Errorf("carrier saw %d INVITEs, want %d", got, b.N+1)
	}
}
