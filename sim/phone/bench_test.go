package phone

import (
	"context"
	"syscall"
	"testing"
	"time"
)

// cpuTime is the process's user+system CPU time so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkCheckedCall is one direct call between two phones on loopback:
// dial, answer, the two-way audio check, hang up. It reports the process's
// CPU time per call (cpu-ms/call): SIP, RTP both ways for as long as the
// check listens, and the check itself. Run with -benchtime=Nx.
func BenchmarkCheckedCall(b *testing.B) {
	a, err := NewAgent(Config{LocalIP: loopback})
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	bAgent, err := NewAgent(Config{LocalIP: loopback})
	if err != nil {
		b.Fatal(err)
	}
	defer bAgent.Close()
	caller, err := a.NewPhone(PhoneConfig{Number: "1000"})
	if err != nil {
		b.Fatal(err)
	}
	inc := make(chan *Call, 1)
	callee, err := bAgent.NewPhone(PhoneConfig{Number: "1001", OnIncoming: func(c *Call) { inc <- c }})
	if err != nil {
		b.Fatal(err)
	}
	var waited time.Duration
	start := cpuTime(b)
	for b.Loop() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		out, err := caller.DialURI(ctx, callee.Contact())
		if err != nil {
			b.Fatal(err)
		}
		if err := out.WaitAnswer(ctx); err != nil {
			b.Fatal(err)
		}
		in := <-inc
		tw, err := VerifyTwoWay(ctx, out, in)
		if err != nil {
			b.Fatal(err)
		}
		waited += max(tw.A.Waited, tw.B.Waited)
		if err := out.Hangup(ctx); err != nil {
			b.Fatal(err)
		}
		if _, err := in.Wait(ctx); err != nil {
			b.Fatal(err)
		}
		cancel()
	}
	b.ReportMetric(float64(cpuTime(b)-start)/float64(time.Millisecond)/float64(b.N), "cpu-ms/call")
	b.ReportMetric(float64(waited)/float64(time.Millisecond)/float64(b.N), "check-ms/call")
}
