package phone

import (
	"context"
	"testing"
	"time"

	"pbxlab/internal/procs"
)

// cpuTime is the process's user and system CPU time so far (procs.ProcessCPU).
func cpuTime(b *testing.B) time.Duration {
	t, ok := procs.ProcessCPU()
	if !ok {
		b.Skip("the process's CPU time is unknown on this system")
	}
	return t
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

// BenchmarkSignallingCall is the hot path of `pbxlab sim` in bench/sim.sh:
// a signalling-only call dialled by number through the Target (INVITE,
// 180/200, ACK, BYE/200), the far end a signalling-only Agent that answers
// at once. Calls run concurrency at a time, as a load run places them. It
// reports the process's CPU time per call, both Agents included
// (cpu-ms/call); -benchmem counts the allocations of both sides.
func BenchmarkSignallingCall(b *testing.B) {
	const concurrency = 8
	uas, err := NewAgent(Config{LocalIP: loopback, SignallingOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	defer uas.Close()
	if _, err := uas.NewPhone(PhoneConfig{Number: "9000"}); err != nil {
		b.Fatal(err)
	}
	uac, err := NewAgent(Config{LocalIP: loopback, Target: uas.Addr().String(), SignallingOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	defer uac.Close()
	caller, err := uac.NewPhone(PhoneConfig{Number: "1000"})
	if err != nil {
		b.Fatal(err)
	}
	start := cpuTime(b)
	b.SetParallelism(concurrency)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			c, err := caller.Dial(ctx, "9000")
			if err != nil {
				b.Error(err)
				cancel()
				return
			}
			if err := c.WaitAnswer(ctx); err != nil {
				b.Error(err)
			} else if err := c.Hangup(ctx); err != nil {
				b.Error(err)
			}
			cancel()
		}
	})
	b.ReportMetric(float64(cpuTime(b)-start)/float64(time.Millisecond)/float64(b.N), "cpu-ms/call")
}

// BenchmarkApplyAnswer is the check of a 2xx's SDP answer on a call
// without media: parsed every time (a far end whose answers differ, the
// Agent's record cleared) against the Agent's record of the last usable
// answer (a far end answering with the same SDP, as SIPp's uas does).
func BenchmarkApplyAnswer(b *testing.B) {
	answer := []byte("v=0\r\no=user1 53655765 2353687637 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
		"m=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")
	for _, cached := range []bool{false, true} {
		name := "parse"
		if cached {
			name = "cached"
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			c := &Call{agent: &Agent{}}
			for b.Loop() {
				if !cached {
					c.agent.usableAnswer.Store(nil)
				}
				if err := c.applyAnswer(answer); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
