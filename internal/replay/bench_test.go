package replay_test

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"pbxlab/internal/replay"
)

// BenchmarkReplay200Calls replays a capture of 200 calls (10 pairs of
// phones, 20 calls each; REPLAY_BENCH_PAIRS sets the number of pairs)
// against a fresh PBX with --pace fast and reports dialogs/s.
func BenchmarkReplay200Calls(b *testing.B) {
	pairs := 10
	if n, err := strconv.Atoi(os.Getenv("REPLAY_BENCH_PAIRS")); err == nil && n > 0 && n <= 50 {
		pairs = n
	}
	capPath := recordCalls(b, pairs, 20)
	if keep := os.Getenv("REPLAY_KEEP_CAPTURE"); keep != "" {
		data, err := os.ReadFile(capPath)
		if err == nil {
			err = os.WriteFile(keep, data, 0o644)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	creds := replay.Credentials{}
	for u := 1000; u < 1100; u++ {
		creds[strconv.Itoa(u)] = "demo" + strconv.Itoa(u)
	}
	b.ResetTimer()
	var dialogs, divergent int
	var spent time.Duration
	for range b.N {
		b.StopTimer()
		fresh := startPBX(b, nil, "")
		r, err := replay.New(replay.Config{Capture: capPath, Target: fresh.Target(), Pace: replay.Pace{Fast: true}, Credentials: creds, Timeout: 5 * time.Second})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		rep, err := r.Run(ctx)
		cancel()
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		dialogs += rep.Dialogs()
		divergent += rep.Divergent()
		spent += rep.Duration
		if !rep.Equivalent() {
			b.Logf("divergent:\n%s", rep)
		}
		_ = fresh.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(dialogs)/spent.Seconds(), "dialogs/s")
	b.ReportMetric(float64(divergent)/float64(b.N), "divergent/op")
}
