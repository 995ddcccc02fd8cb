package pbx_test

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/leakcheck"
	"pbxlab/internal/sdpneg"
	"pbxlab/pbx"
	"pbxlab/pbx/config"
	"pbxlab/pbx/pbxtest"
	"pbxlab/sim/phone"
)

// TestCallsOverEveryTransport places an audio-verified call over UDP and
// TCP, on IPv4 and IPv6.
func TestCallsOverEveryTransport(t *testing.T) {
	for _, tc := range []struct {
		name, transport string
		v6              bool
	}{
		{"udp4", "udp", false}, {"tcp4", "tcp", false}, {"udp6", "udp", true}, {"tcp6", "tcp", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			leakcheck.Check(t)
			in := startPBX(t, func(c *config.Config) {
				if tc.v6 {
					c.SIP.Listen = []string{"udp:[::1]:0", "tcp:[::1]:0"}
				}
			}, pbxtest.Options{KeepListen: tc.v6})
			target := in.UDP
			if tc.transport == "tcp" {
				target = in.TCP
			}
			lc := phone.Config{Transport: tc.transport}
			if tc.v6 {
				lc.LocalIP = loopback6
			}
			ps := registered(ctx, t, target.String(), lc, "1000", "1001")
			c, callee := talk(ctx, t, ps["1000"], ps["1001"])
			if err := callee.Hangup(ctx); err != nil { // BYE from the callee this time
				t.Fatal(err)
			}
			if end, err := c.Wait(ctx); err != nil || end.Reason != phone.ReasonBye || end.By != phone.Remote {
				t.Fatalf("caller end = %+v, %v", end, err)
			}
			recs := waitCDRs(ctx, t, in, func(r []pbx.CDR) bool { return len(r) == 1 && r[0].Disposition == pbx.Answered })
			if recs[0].Reason != "callee hung up" {
				t.Errorf("CDR reason %q", recs[0].Reason)
			}
		})
	}
}

// rawUAC is a bare UDP socket speaking SIP through sipgo's parser, for
// what the simulated phones never do (never ACK, reorder requests).
type rawUAC struct {
	t    *testing.T
	conn net.PacketConn
	pbx  net.Addr
}

func newRawUAC(t *testing.T, target netip.AddrPort) *rawUAC {
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	return &rawUAC{t: t, conn: pc, pbx: net.UDPAddrFromAddrPort(target)}
}

func (u *rawUAC) addr() string { return u.conn.LocalAddr().String() }

func (u *rawUAC) send(msg string) {
	u.t.Helper()
	msg = strings.ReplaceAll(msg, "\n", "\r\n")
	if _, err := u.conn.WriteTo([]byte(msg), u.pbx); err != nil {
		u.t.Fatal(err)
	}
}

// next returns the next SIP message received before d elapses (nil on timeout).
func (u *rawUAC) next(d time.Duration) sip.Message {
	buf := make([]byte, 65535)
	_ = u.conn.SetReadDeadline(time.Now().Add(d))
	n, _, err := u.conn.ReadFrom(buf)
	if err != nil {
		return nil
	}
	m, err := sip.ParseMessage(buf[:n])
	if err != nil {
		u.t.Fatalf("PBX sent unparsable message: %v\n%s", err, buf[:n])
	}
	return m
}

func (u *rawUAC) invite(callID, to string) {
	sdp, err := sdpneg.Offer(netip.MustParseAddrPort("127.0.0.1:40000"), sdpneg.DefaultCodecs(), 1)
	if err != nil {
		u.t.Fatal(err)
	}
	u.send(fmt.Sprintf("INVITE sip:%s@127.0.0.1 SIP/2.0\nVia: SIP/2.0/UDP %s;branch=z9hG4bK%s;rport\nMax-Forwards: 70\n"+
		"From: <sip:1000@127.0.0.1>;tag=raw\nTo: <sip:%s@127.0.0.1>\nCall-ID: %s\nCSeq: 1 INVITE\nContact: <sip:1000@%s>\n"+
		"Content-Type: application/sdp\nContent-Length: %d\n\n%s", to, u.addr(), callID, to, callID, u.addr(), len(sdp),
		strings.ReplaceAll(string(sdp), "\r\n", "\n")))
}

// TestUnacknowledged2xxIsRetransmittedThenBYEd: the PBX retransmits its
// 200 to a caller that never ACKs, from T1 doubling to T2, and after 64*T1
// ends both legs with BYE (RFC 3261 §13.3.1.4).
func TestUnacknowledged2xxIsRetransmittedThenBYEd(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const t1 = 50 * time.Millisecond
	in := startPBX(t, func(c *config.Config) {
		c.SIP.T1, c.SIP.T2 = t1, 400*time.Millisecond
		c.TrustedPeers = []config.TrustedPeer{{Name: "raw", Address: "127.0.0.1"}}
	}, pbxtest.Options{})
	ps := registered(ctx, t, in.Target(), phone.Config{}, "1001")
	u := newRawUAC(t, in.UDP)
	u.invite("noack-1", "1001")
	oks, start := 0, time.Now()
	var bye *sip.Request
	for bye == nil && time.Since(start) < 10*time.Second {
		switch m := u.next(2 * time.Second).(type) {
		case *sip.Response:
			if m.StatusCode == 200 {
				oks++
			}
		case *sip.Request:
			if m.Method == sip.BYE {
				bye = m
			}
		}
	}
	if bye == nil {
		t.Fatalf("no BYE after %d unacknowledged 200s", oks)
	}
	elapsed := time.Since(start)
	// 64*T1 = 3.2 s with retransmissions at 50, 100, 200, 400, 400, ... ms
	if oks < 5 {
		t.Errorf("200 OK sent %d times before BYE, want the original plus retransmissions", oks)
	}
	if elapsed < 64*t1 {
		t.Errorf("BYE after %s, before 64*T1", elapsed)
	}
	if end, err := ps["1001"].nextIncoming(ctx, t).Wait(ctx); err != nil || end.Reason != phone.ReasonBye {
		t.Errorf("callee leg end = %+v, %v; want BYE from the PBX", end, err)
	}
	waitCDRs(ctx, t, in, func(r []pbx.CDR) bool { return len(r) == 1 && r[0].Reason == "no ACK" })
}

// TestShutdownRefusesNewCallsAndByesTheRest: on SIGTERM (Run's context
// ends) new INVITEs get 503, calls still up after the grace period get BYE
// on both legs and their CDRs are on disk when Run returns.
func TestShutdownRefusesNewCallsAndByesTheRest(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dir := t.TempDir()
	cfg := config.Demo()
	cfg.Call.ShutdownGrace = time.Second
	cfg.TrustedPeers = []config.TrustedPeer{{Name: "raw", Address: "127.0.0.1"}}
	in, err := pbxtest.Start(cfg, pbxtest.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	ps := registered(ctx, t, in.Target(), phone.Config{}, "1000", "1001", "1003")
	c, callee := talk(ctx, t, ps["1000"], ps["1001"])
	closed := make(chan error, 1)
	go func() { closed <- in.Close() }()
	time.Sleep(200 * time.Millisecond) // Run has seen its context end
	u := newRawUAC(t, in.UDP)
	u.invite("after-sigterm", "1003")
	for {
		m := u.next(2 * time.Second)
		if m == nil {
			t.Fatal("no answer to an INVITE during shutdown")
		}
		if r, ok := m.(*sip.Response); ok && r.StatusCode >= 200 {
			if r.StatusCode != 503 {
				t.Fatalf("INVITE during shutdown got %d, want 503", r.StatusCode)
			}
			break
		}
	}
	for _, k := range []*phone.Call{c, callee} {
		if end, err := k.Wait(ctx); err != nil || end.Reason != phone.ReasonBye || end.By != phone.Remote {
			t.Errorf("leg end = %+v, %v; want BYE from the PBX", end, err)
		}
	}
	if err := <-closed; err != nil {
		t.Fatalf("graceful stop: %v", err)
	}
	var out strings.Builder
	if err := pbx.WriteCDRs(ctx, filepath.Join(dir, "pbx.db"), pbx.CDRFilter{}, "csv", &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "ANSWERED,200,shutdown") {
		t.Errorf("CDRs after shutdown:\n%s", out.String())
	}
}
