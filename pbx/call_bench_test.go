package pbx_test

import (
	"context"
	"fmt"
	"net"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/procs"
)

// BenchmarkCall is the in-process twin of bench's fixed-rate call phase,
// for allocations: whole calls (INVITE, 200, ACK, BYE, 200) from a
// trusted peer through the B2BUA to a subscriber's static contact, media
// direct, CDR written, at most 50 in flight. One op is one call. The ends
// are bare UDP sockets that parse with sipgo and keep nothing per call;
// their allocations are in the figures, the same before and after a
// change of the PBX, so compare with bench/compare.sh:
//
//	bench/compare.sh HEAD ./pbx 'BenchmarkCall$'
//
// proc-allocs/op and proc-B/op are the process's (runtime.MemStats, every
// goroutine), cpu-ns/op its user+system CPU per call.
func BenchmarkCall(b *testing.B) {
	uas, uac, in, stop := trustedCallPBX(b, "log:\n  level: error\nmedia:\n  anchor: direct\n")
	defer stop()
	_ = uas.SetReadBuffer(4 << 20)
	_ = uac.SetReadBuffer(4 << 20)
	go heldUAS(uas, nil)
	var done atomic.Int64
	go callUAC(uac, &done)
	pbx := in.UDP.String()
	dst := net.UDPAddrFromAddrPort(in.UDP)
	invite := func(i int) []byte {
		return fmt.Appendf(nil, "INVITE sip:2000@%s SIP/2.0\r\n"+
			"Via: SIP/2.0/UDP %s;branch=z9hG4bK-call-%d\r\n"+
			"From: uac <sip:uac@%s>;tag=uac-%d\r\nTo: <sip:2000@%s>\r\nCall-ID: call-%d\r\nCSeq: 1 INVITE\r\n"+
			"Contact: <sip:uac@%s>\r\nMax-Forwards: 70\r\nContent-Type: application/sdp\r\nContent-Length: %d\r\n\r\n%s",
			pbx, uac.LocalAddr(), i, uac.LocalAddr(), i, pbx, i, uac.LocalAddr(), len(uacSDP), uacSDP)
	}
	run := func(n, first int) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		base := done.Load()
		const window = 50
		for i := range n {
			for int64(i)-(done.Load()-base) >= window {
				if ctx.Err() != nil {
					b.Fatalf("%d of %d calls completed", done.Load()-base, n)
				}
				time.Sleep(100 * time.Microsecond)
			}
			if _, err := uac.WriteToUDP(invite(first+i), dst); err != nil {
				b.Fatal(err)
			}
		}
		for done.Load()-base < int64(n) {
			if ctx.Err() != nil {
				b.Fatalf("%d of %d calls completed", done.Load()-base, n)
			}
			time.Sleep(time.Millisecond)
		}
	}
	run(200, 0) // warm: pools, goroutines, prepared statements
	defer meterProcess(b)()
	run(b.N, 1000)
}

// meterProcess resets b's timer and returns the function that stops it
// and reports the process's allocations, bytes and CPU time per op since.
func meterProcess(b *testing.B) (report func()) {
	var m0 runtime.MemStats
	runtime.ReadMemStats(&m0)
	cpu0 := processCPU(b)
	b.ResetTimer()
	return func() {
		b.StopTimer()
		cpu := processCPU(b) - cpu0
		var m1 runtime.MemStats
		runtime.ReadMemStats(&m1)
		b.ReportMetric(float64(m1.Mallocs-m0.Mallocs)/float64(b.N), "proc-allocs/op")
		b.ReportMetric(float64(m1.TotalAlloc-m0.TotalAlloc)/float64(b.N), "proc-B/op")
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

// callUAC acknowledges each INVITE's 200 and ends the call with BYE at
// once (both to the 200's Contact); each 200 to a BYE is a completed call.
func callUAC(c *net.UDPConn, done *atomic.Int64) {
	readSIP(c, func(m sip.Message, from *net.UDPAddr) {
		res, ok := m.(*sip.Response)
		if !ok || res.StatusCode != 200 {
			return
		}
		switch res.CSeq().MethodName {
		case sip.BYE:
			done.Add(1)
		case sip.INVITE:
			target := from.String()
			if ct := res.Contact(); ct != nil {
				target = ct.Address.HostPort()
			}
			addr, err := net.ResolveUDPAddr("udp", target)
			if err != nil {
				return
			}
			id := res.CallID().Value()
			head := fmt.Sprintf("sip:%s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK-%%s-%s\r\n%s\r\n%s\r\n%s\r\n",
				target, c.LocalAddr(), id, res.From().String(), res.To().String(), res.CallID().String())
			ack := "ACK " + fmt.Sprintf(head, "ack") + "CSeq: 1 ACK\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
			bye := "BYE " + fmt.Sprintf(head, "bye") + "CSeq: 2 BYE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
			_, _ = c.WriteToUDP([]byte(ack), addr)
			_, _ = c.WriteToUDP([]byte(bye), addr)
		}
	})
}

// processCPU is the process's user and system CPU time so far (procs.ProcessCPU).
func processCPU(b *testing.B) time.Duration {
	t, ok := procs.ProcessCPU()
	if !ok {
		b.Skip("the process's CPU time is unknown on this system")
	}
	return t
}
