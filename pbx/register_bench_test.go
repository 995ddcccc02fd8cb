package pbx_test

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"pbxlab/pbx/config"
	"pbxlab/pbx/pbxtest"
	"pbxlab/sim/phone"
)

// BenchmarkRegister is the in-process twin of bench's fixed-rate REGISTER
// phase, for allocations: the demo's 100 subscribers refresh their
// bindings with digest authentication (the binding written to SQLite
// before the 200), 10 at a time; one op is one registration. The phones
// are pbxlab sim's; their allocations are in the figures, the same before
// and after a change of the PBX:
//
//	bench/compare.sh HEAD ./pbx 'BenchmarkRegister$'
func BenchmarkRegister(b *testing.B) {
	in, err := pbxtest.Start(func() *config.Config {
		c := config.Demo()
		c.Log.Level = "error"
		return c
	}(), pbxtest.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer in.Close()
	ag, err := phone.NewAgent(phone.Config{Target: in.Target()})
	if err != nil {
		b.Fatal(err)
	}
	defer ag.Close()
	phones := make([]*phone.Phone, 100)
	for i := range phones {
		n := strconv.Itoa(1000 + i)
		if phones[i], err = ag.NewPhone(phone.PhoneConfig{Number: n, Password: "demo" + n}); err != nil {
			b.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var next atomic.Int64
	register := func() {
		p := phones[int(next.Add(1))%len(phones)]
		if _, err := p.Register(ctx); err != nil {
			b.Error(err)
		}
	}
	for range 2 * len(phones) { // warm: every binding exists, pools grown
		register()
	}
	report := meterProcess(b)
	b.SetParallelism(5) // 10 registrations in flight on 2 CPUs
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			register()
		}
	})
	report()
}
