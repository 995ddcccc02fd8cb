package sim

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"pbxlab/internal/procs"
	"pbxlab/sim/phone"
	"pbxlab/sim/scenario"
)

// BenchmarkRemoteCallsSignalling is bench/sim.sh's `pbxlab sim` in
// miniature: one op is a run of 400 signalling-only calls (1,000/s, 20 ms
// hold) from unregistered phones to a remote number, answered by a
// signalling-only phone Agent in the same process. It reports the
// process's CPU time per call, both sides included (cpu-ms/call).
func BenchmarkRemoteCallsSignalling(b *testing.B) {
	const calls = 400
	uas, err := phone.NewAgent(phone.Config{LocalIP: netip.MustParseAddr("127.0.0.1"), SignallingOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	defer uas.Close()
	if _, err := uas.NewPhone(phone.PhoneConfig{Number: "9000"}); err != nil {
		b.Fatal(err)
	}
	sc, err := scenario.Parse("bench.yaml", []byte(`name: bench
population: {count: 100, first: "1000", password: "x", register: false}
behaviours: {answer: 100}
calls: {rate: 1000, hold: 20ms, duration: 400ms, max_concurrent: 2100, remote: {first: "9000", count: 1}}
audio: {share: 0}
seed: 1
`))
	if err != nil {
		b.Fatal(err)
	}
	cpu := func() time.Duration {
		t, ok := procs.ProcessCPU()
		if !ok {
			b.Skip("the process's CPU time is unknown on this system")
		}
		return t
	}
	start := cpu()
	for b.Loop() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		rep, err := Run(ctx, sc, Target{Addr: uas.Addr().String()}, WithLocalIP(netip.MustParseAddr("127.0.0.1")))
		cancel()
		if err != nil {
			b.Fatal(err)
		}
		if rep.Calls.Attempted != calls || rep.Calls.Answered != calls {
			b.Fatalf("calls %+v: want %d answered", rep.Calls, calls)
		}
	}
	b.ReportMetric(float64(cpu()-start)/float64(time.Millisecond)/float64(b.N*calls), "cpu-ms/call")
}
