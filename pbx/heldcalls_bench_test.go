package pbx_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/pbx/pbxtest"
)

// BenchmarkHeldCalls is the in-process twin of bench's held-calls phase
// (issue 14: ≤ 20 KiB per concurrent signalling-only call): N calls from a
// trusted peer (127.0.0.2) through the B2BUA to a subscriber's static
// contact, media direct, answered and acknowledged, then held. The two
// ends are bare UDP sockets that parse with sipgo and keep nothing per
// call, so the heap growth is the PBX's. It reports the Go heap in use
// after a forced GC (bench's go_memstats_heap_inuse_bytes) and the live
// heap, per call, and goroutines per call, HELD_SETTLE after the last
// answer (default 3s as bench's quick run; 35s lets the INVITE
// transactions end).
//
//	PBXLAB_HELD_CALLS=2000 go test -run '^$' -bench HeldCalls -benchtime 1x ./pbx/
//
// PBXLAB_HELD_PROFILE=FILE writes a heap profile of the held calls.
func BenchmarkHeldCalls(b *testing.B) {
	n := envInt(b, "PBXLAB_HELD_CALLS", 2000)
	settle := 3 * time.Second
	if v := os.Getenv("PBXLAB_HELD_SETTLE"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			b.Fatalf("PBXLAB_HELD_SETTLE: %v", err)
		}
		settle = d
	}
	for range b.N {
		heldCallsOnce(b, n, settle)
	}
}

func envInt(b *testing.B, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		b.Fatalf("%s=%q: want a positive integer", name, v)
	}
	return n
}

func heldCallsOnce(b *testing.B, n int, settle time.Duration) {
	b.StopTimer()
	uas, uac, in, stop := trustedCallPBX(b, "log:\n  level: error\nmedia:\n  anchor: direct\n")
	defer stop()
	_ = uas.SetReadBuffer(4 << 20)
	_ = uac.SetReadBuffer(4 << 20)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var answered atomic.Int64
	go heldUAS(uas, nil)
	seen := make([]bool, n) // the UAC's only state: a 200 retransmitted before the ACK counts once
	go heldUAC(uac, seen, &answered)

	h0, a0, g0 := heapAfterGC()
	pbx := in.UDP.String()
	const window = 100
	sdp := uacSDP
	for i := range n {
		for int64(i)-answered.Load() >= window {
			if ctx.Err() != nil {
				b.Fatalf("%d of %d calls answered", answered.Load(), n)
			}
			time.Sleep(time.Millisecond)
		}
		inv := fmt.Sprintf("INVITE sip:2000@%s SIP/2.0\r\n"+
			"Via: SIP/2.0/UDP %s;branch=z9hG4bK-held-%d\r\n"+
			"From: uac <sip:uac@%s>;tag=uac-%d\r\nTo: <sip:2000@%s>\r\nCall-ID: held-%d\r\nCSeq: 1 INVITE\r\n"+
			"Contact: <sip:uac@%s>\r\nMax-Forwards: 70\r\nContent-Type: application/sdp\r\nContent-Length: %d\r\n\r\n%s",
			pbx, uac.LocalAddr(), i, uac.LocalAddr(), i, pbx, i, uac.LocalAddr(), len(sdp), sdp)
		if _, err := uac.WriteToUDP([]byte(inv), net.UDPAddrFromAddrPort(in.UDP)); err != nil {
			b.Fatal(err)
		}
	}
	for answered.Load() < int64(n) {
		if ctx.Err() != nil {
			b.Fatalf("%d of %d calls answered", answered.Load(), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(settle)
	h1, a1, g1 := heapAfterGC()
	if f := os.Getenv("PBXLAB_HELD_PROFILE"); f != "" {
		writeHeapProfile(b, f)
	}
	b.ReportMetric(float64(h1-h0)/float64(n), "inuse-bytes/call")
	b.ReportMetric(float64(a1-a0)/float64(n), "bytes/call")
	b.ReportMetric(float64(g1-g0)/float64(n), "goroutines/call")
}

func writeHeapProfile(b *testing.B, name string) {
	f, err := os.Create(name)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		b.Fatal(err)
	}
}

func heapAfterGC() (inuse, alloc int64, goroutines int) {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapInuse), int64(m.HeapAlloc), runtime.NumGoroutine()
}

// heldUAS answers every INVITE 200 with SDP and every other request 200,
// keeping nothing per call; seen, if set, gets every request first.
func heldUAS(c *net.UDPConn, seen func(*sip.Request)) {
	readSIP(c, func(m sip.Message, from *net.UDPAddr) {
		req, ok := m.(*sip.Request)
		if !ok {
			return
		}
		if seen != nil {
			seen(req)
		}
		if req.Method == sip.ACK {
			return
		}
		var r strings.Builder
		r.WriteString("SIP/2.0 200 OK\r\n")
		for _, v := range req.GetHeaders("Via") {
			r.WriteString(v.String() + "\r\n")
		}
		r.WriteString(req.From().String() + "\r\n")
		to := req.To().String()
		if !req.To().Params.Has("tag") {
			to += ";tag=uas-" + req.CallID().Value()
		}
		r.WriteString(to + "\r\n" + req.CallID().String() + "\r\n" + req.CSeq().String() + "\r\n")
		fmt.Fprintf(&r, "Contact: <sip:2000@%s>\r\n", c.LocalAddr())
		body := ""
		if req.Method == sip.INVITE {
			body = "v=0\r\no=uas 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 7000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
			r.WriteString("Content-Type: application/sdp\r\n")
		}
		fmt.Fprintf(&r, "Content-Length: %d\r\n\r\n%s", len(body), body)
		_, _ = c.WriteToUDP([]byte(r.String()), from)
	})
}

// heldUAC acknowledges each INVITE's 200 (to its Contact, as the PBX sets
// no Record-Route) and counts the answered calls; it answers requests
// from the PBX (a BYE at shutdown) 200.
func heldUAC(c *net.UDPConn, seen []bool, answered *atomic.Int64) {
	readSIP(c, func(m sip.Message, from *net.UDPAddr) {
		switch msg := m.(type) {
		case *sip.Response:
			if msg.StatusCode != 200 || msg.CSeq().MethodName != sip.INVITE {
				return
			}
			target := from.String()
			if ct := msg.Contact(); ct != nil {
				target = ct.Address.HostPort()
			}
			ack := fmt.Sprintf("ACK sip:%s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK-ack-%s\r\n%s\r\n%s\r\n%s\r\nCSeq: %d ACK\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
				target, c.LocalAddr(), msg.CallID().Value(), msg.From().String(), msg.To().String(), msg.CallID().String(), msg.CSeq().SeqNo)
			addr, err := net.ResolveUDPAddr("udp", target)
			if err != nil {
				return
			}
			if _, err := c.WriteToUDP([]byte(ack), addr); err != nil {
				return
			}
			i, err := strconv.Atoi(strings.TrimPrefix(msg.CallID().Value(), "held-"))
			if err == nil && i >= 0 && i < len(seen) && !seen[i] {
				seen[i] = true
				answered.Add(1)
			}
		case *sip.Request:
			if msg.Method == sip.ACK {
				return
			}
			res := fmt.Sprintf("SIP/2.0 200 OK\r\n%s\r\n%s\r\n%s\r\n%s\r\n%s\r\nContent-Length: 0\r\n\r\n",
				msg.Via().String(), msg.From().String(), msg.To().String(), msg.CallID().String(), msg.CSeq().String())
			_, _ = c.WriteToUDP([]byte(res), from)
		}
	})
}

// readSIP hands f each SIP message read from c, with its sender, until c
// is closed; what does not parse is dropped.
func readSIP(c *net.UDPConn, f func(sip.Message, *net.UDPAddr)) {
	buf := make([]byte, 65535)
	for {
		n, from, err := c.ReadFromUDP(buf)
		if err != nil {
			return
		}
		if m, err := sip.ParseMessage(buf[:n]); err == nil {
			f(m, from)
		}
	}
}

// uacSDP is the offer of the trusted peer's calls (media direct: never sent).
const uacSDP = "v=0\r\no=uac 1 1 IN IP4 127.0.0.2\r\ns=-\r\nc=IN IP4 127.0.0.2\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"

// trustedCallPBX starts a PBX whose subscriber 2000 is the bare socket uas
// (127.0.0.1) and whose trusted peer is the bare socket uac (127.0.0.2),
// with extra YAML prepended; stop closes all three. It
// skips where 127.0.0.2 cannot be bound.
func trustedCallPBX(tb testing.TB, extra string) (uas, uac *net.UDPConn, in *pbxtest.Instance, stop func()) {
	tb.Helper()
	uas, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		tb.Fatal(err)
	}
	uac, err = net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 2)})
	if err != nil {
		uas.Close()
		tb.Skipf("127.0.0.2 not bindable: %v", err)
	}
	in, err = pbxtest.StartYAML(extra+fmt.Sprintf(`subscribers:
  - number: "2000"
    contacts: ["sip:2000@%s"]
trusted_peers:
  - {name: uac, address: 127.0.0.2}
`, uas.LocalAddr()), pbxtest.Options{})
	if err != nil {
		uas.Close()
		uac.Close()
		tb.Fatal(err)
	}
	return uas, uac, in, func() {
		if err := in.Close(); err != nil {
			tb.Errorf("close pbx: %v", err)
		}
		uas.Close()
		uac.Close()
	}
}
