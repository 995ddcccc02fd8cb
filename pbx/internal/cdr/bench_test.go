package cdr

import (
	"context"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"pbxlab/internal/clock"
	"pbxlab/internal/procs"
	"pbxlab/pbx/internal/store"
)

// BenchmarkCallRecord is the CDR work of one answered call as the B2BUA
// does it: Begin at setup, Answered, Finish, each waiting for its commit,
// from many calls at once (the group commit batches them) on a WAL file
// store like the PBX's. One op is one call.
func BenchmarkCallRecord(b *testing.B) {
	s := openB(b, filepath.Join(b.TempDir(), "cdr.db"))
	ctx := context.Background()
	var n atomic.Int64
	b.SetParallelism(32) // concurrent calls per CPU
	b.ReportAllocs()
	cpu0 := cpuTime(b)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			r := Record{CallID: "call-" + strconv.FormatInt(i, 10) + "@10.0.0.5", Caller: "1000", Dialled: "1001", Callee: "1001", Setup: t0}
			id, err := s.Begin(ctx, r)
			if err != nil {
				b.Error(err)
				return
			}
			r.Answer = t0.Add(time.Second)
			if err := s.Answered(ctx, id, r.Answer); err != nil {
				b.Error(err)
				return
			}
			r.End, r.Disposition, r.Cause, r.Reason = t0.Add(30*time.Second), Answered, 200, "caller hung up"
			if err := s.Finish(ctx, id, r); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	// CPU time of the process per call: what a loaded machine's wall clock
	// hides, and what the PBX's CPU per call is made of.
	b.ReportMetric(float64(cpuTime(b)-cpu0)/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(s.Stats().Commits)/float64(b.N), "commits/op")
}

// cpuTime is the process's user and system CPU time so far (procs.ProcessCPU).
func cpuTime(b *testing.B) time.Duration {
	t, ok := procs.ProcessCPU()
	if !ok {
		b.Skip("the process's CPU time is unknown on this system")
	}
	return t
}

func openB(b *testing.B, path string) *Store {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	db, err := store.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	s, err := Open(ctx, db, WithClock(clock.NewFake(t0)))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close(); _ = db.Close() })
	return s
}

// BenchmarkCallRecordAt1000cps is BenchmarkCallRecord with calls started
// at 1,000 per second, as in the PBX profile behind issue 14: the writer
// is mostly idle and each commit carries few Ops, so the commits per call
// drive the CPU per call.
func BenchmarkCallRecordAt1000cps(b *testing.B) {
	s := openB(b, filepath.Join(b.TempDir(), "cdr.db"))
	ctx := context.Background()
	b.ReportAllocs()
	cpu0 := cpuTime(b)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	var wg sync.WaitGroup
	b.ResetTimer()
	for i := range b.N {
		<-tick.C
		wg.Go(func() {
			r := Record{CallID: "call-" + strconv.Itoa(i) + "@10.0.0.5", Caller: "1000", Dialled: "1001", Callee: "1001", Setup: t0}
			id, err := s.Begin(ctx, r)
			if err != nil {
				b.Error(err)
				return
			}
			time.Sleep(2 * time.Millisecond) // ringing
			r.Answer = t0.Add(time.Second)
			if err := s.Answered(ctx, id, r.Answer); err != nil {
				b.Error(err)
				return
			}
			time.Sleep(5 * time.Millisecond) // talking
			r.End, r.Disposition, r.Cause, r.Reason = t0.Add(30*time.Second), Answered, 200, "caller hung up"
			if err := s.Finish(ctx, id, r); err != nil {
				b.Error(err)
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(cpuTime(b)-cpu0)/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(s.Stats().Commits)/float64(b.N), "commits/op")
}
