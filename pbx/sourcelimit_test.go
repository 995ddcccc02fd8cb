package pbx_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"pbxlab/internal/leakcheck"
	"pbxlab/internal/testua"
	"pbxlab/pbx/config"
	"pbxlab/pbx/pbxtest"
)

// optionsFrom sends n OPTIONS to the PBX from pc and counts the responses
// that come back within wait.
func optionsFrom(t *testing.T, pc net.PacketConn, pbxAddr netip.AddrPort, n int, wait time.Duration) int {
	t.Helper()
	to := net.UDPAddrFromAddrPort(pbxAddr)
	local := pc.LocalAddr().String()
	for i := range n {
		msg := fmt.Sprintf("OPTIONS sip:pbx@%s SIP/2.0\r\n"+
			"Via: SIP/2.0/UDP %s;branch=z9hG4bK-flood-%s-%d-%d\r\n"+
			"Max-Forwards: 70\r\n"+
			"From: <sip:flood@%s>;tag=f%d\r\n"+
			"To: <sip:pbx@%s>\r\n"+
			"Call-ID: flood-%d-%d@%s\r\n"+
			"CSeq: 1 OPTIONS\r\n"+
			"Content-Length: 0\r\n\r\n", pbxAddr, local, local, time.Now().UnixNano(), i, local, i, pbxAddr, time.Now().UnixNano(), i, local)
		if _, err := pc.WriteTo([]byte(msg), to); err != nil {
			t.Fatal(err)
		}
	}
	got := 0
	buf := make([]byte, 4096)
	_ = pc.SetReadDeadline(time.Now().Add(wait))
	for {
		m, _, err := pc.ReadFrom(buf)
		if err != nil {
			return got
		}
		if strings.HasPrefix(string(buf[:m]), "SIP/2.0 ") {
			got++
		}
	}
}

func listenUDP(t *testing.T, ip string) net.PacketConn {
	t.Helper()
	pc, err := net.ListenPacket("udp4", ip+":0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	return pc
}

// metricValue reads one sample of the PBX's /metrics.
func metricValue(ctx context.Context, t *testing.T, admin netip.AddrPort, name string) float64 {
	t.Helper()
	_, _, body := httpGet(ctx, t, "http://"+admin.String()+"/metrics")
	for _, line := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			return f
		}
	}
	t.Fatalf("/metrics has no %s", name)
	return 0
}

// TestSourceLimitsUDP: a source flooding the PBX over UDP gets answers
// for its bucket's worth of requests, then nothing until its block ends,
// while another source and an exempt one are served throughout.
func TestSourceLimitsUDP(t *testing.T) {
	leakcheck.Check(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	in := startPBX(t, func(c *config.Config) {
		c.Admin.Listen = "127.0.0.1:0"
		c.SIP.SourceLimits = config.SourceLimits{Rate: 5, Burst: 10, BlockFor: 2 * time.Second, Exempt: []string{"127.0.0.3"}}
	}, pbxtest.Options{})
	admin, _ := in.AdminAddr()
	attacker, phone, exempt := listenUDP(t, "127.0.0.2"), listenUDP(t, "127.0.0.1"), listenUDP(t, "127.0.0.3")

	blockedAt := time.Now()
	if got := optionsFrom(t, attacker, in.UDP, 100, 300*time.Millisecond); got < 10 || got > 12 {
		t.Fatalf("a flood of 100 OPTIONS from one source: %d answered, want the burst of 10 (11-12 if the bucket refilled meanwhile)", got)
	}
	if time.Since(blockedAt) < 1500*time.Millisecond {
		if got := optionsFrom(t, attacker, in.UDP, 1, 200*time.Millisecond); got != 0 {
			t.Errorf("the blocked source was answered %d times within its block", got)
		}
	}
	if got := optionsFrom(t, phone, in.UDP, 5, 300*time.Millisecond); got != 5 {
		t.Errorf("another source during the flood: %d of 5 OPTIONS answered", got)
	}
	if got := optionsFrom(t, exempt, in.UDP, 100, 500*time.Millisecond); got != 100 {
		t.Errorf("an exempt source: %d of 100 OPTIONS answered", got)
	}
	if d := metricValue(ctx, t, admin, "pbxlab_sip_source_dropped_total"); d < 88 {
		t.Errorf("pbxlab_sip_source_dropped_total = %g, want at least the 88 dropped", d)
	}
	if b := metricValue(ctx, t, admin, "pbxlab_sip_source_blocks_total"); b != 1 {
		t.Errorf("pbxlab_sip_source_blocks_total = %g, want 1", b)
	}
	time.Sleep(time.Until(blockedAt.Add(2100 * time.Millisecond)))
	if got := optionsFrom(t, attacker, in.UDP, 3, 300*time.Millisecond); got != 3 {
		t.Errorf("after its block ended, the source got %d of 3 OPTIONS answered", got)
	}
	if n := metricValue(ctx, t, admin, "pbxlab_sip_sources_blocked"); n != 0 {
		t.Errorf("pbxlab_sip_sources_blocked = %g after the block ended, want 0", n)
	}
}

// TestSourceLimitsTCP: a source may hold sip.source_limits.connections TCP
// connections at once; a further one is closed as soon as it is accepted
// and the open ones go on.
func TestSourceLimitsTCP(t *testing.T) {
	leakcheck.Check(t)
	in := startPBX(t, func(c *config.Config) {
		c.SIP.SourceLimits = config.SourceLimits{Rate: 100, BlockFor: time.Minute, Connections: 2}
	}, pbxtest.Options{})
	if !in.TCP.IsValid() {
		t.Fatal("the demo configuration has no TCP listener")
	}
	dial := func() net.Conn {
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}, Timeout: 5 * time.Second}
		c, err := d.Dial("tcp4", in.TCP.String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		return c
	}
	// closedByPBX reports whether the PBX closed c (a read ends with EOF or
	// a reset) rather than keeping it open (the read times out).
	closedByPBX := func(c net.Conn) bool {
		_ = c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
		_, err := c.Read(make([]byte, 1))
		var ne net.Error
		if err == io.EOF || err != nil && !(errors.As(err, &ne) && ne.Timeout()) {
			return true
		}
		return false
	}
	a, b := dial(), dial()
	third := dial()
	if !closedByPBX(third) {
		t.Error("a third connection from one source was kept open with connections: 2")
	}
	if closedByPBX(a) || closedByPBX(b) {
		t.Error("the PBX closed one of the first two connections")
	}
	// a request on an open connection is still served
	local := a.LocalAddr().String()
	req := fmt.Sprintf("OPTIONS sip:pbx@%s;transport=tcp SIP/2.0\r\n"+
		"Via: SIP/2.0/TCP %s;branch=z9hG4bK-tcp-limit\r\n"+
		"Max-Forwards: 70\r\nFrom: <sip:t@%s>;tag=t1\r\nTo: <sip:pbx@%s>\r\n"+
		"Call-ID: tcp-limit@%s\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n", in.TCP, local, local, in.TCP, local)
	if _, err := a.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	_ = a.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 4096)
	n, err := a.Read(buf)
	if err != nil || !strings.HasPrefix(string(buf[:n]), "SIP/2.0 ") {
		t.Fatalf("OPTIONS on an open connection: %q, %v", buf[:n], err)
	}
	_ = b.Close()
	time.Sleep(100 * time.Millisecond) // the PBX sees the close
	if c := dial(); closedByPBX(c) {
		t.Error("a connection was refused after one of the two closed")
	}
}

// TestSourceLimitsAuthFailures: a source guessing passwords is blocked
// after sip.source_limits.auth_failures refused credentials, while a phone
// elsewhere registers with its right password, and one wrong password
// from it does not block it.
func TestSourceLimitsAuthFailures(t *testing.T) {
	leakcheck.Check(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	in := startPBX(t, func(c *config.Config) {
		c.SIP.SourceLimits = config.SourceLimits{AuthFailures: 3, BlockFor: time.Minute}
	}, pbxtest.Options{})
	guesser := newUA(t, in.UDP, "1000", testua.WithTimers(50*time.Millisecond, 200*time.Millisecond))
	// the UA binds the address that routes to the PBX: 127.0.0.1; the
	// phone is on 127.0.0.2
	phone, err := testua.New(testua.Config{PBX: in.UDP, User: "1001", LocalIP: netip.MustParseAddr("127.0.0.2")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = phone.Close() })

	for i, user := range []string{"1000", "1000", "9999"} { // two wrong passwords, one unknown user
		res, err := guesser.Register(ctx, testua.Registration{User: user, Password: "guess", Expires: 60})
		if err != nil || res.StatusCode == 200 {
			t.Fatalf("guess %d: %v %v, want a refusal", i+1, res, err)
		}
	}
	if res, err := phone.Register(ctx, testua.Registration{User: "1001", Password: "wrong", Expires: 60}); err != nil || res.StatusCode == 200 {
		t.Fatalf("the phone's wrong password: %v %v, want a refusal", res, err)
	}
	// the fourth refused credential blocks the guesser (that REGISTER still
	// gets its refusal), and what it sends next goes unanswered
	if res, err := guesser.Register(ctx, testua.Registration{User: "1000", Password: "guess", Expires: 60}); err != nil || res.StatusCode == 200 {
		t.Fatalf("fourth guess: %v %v, want a refusal", res, err)
	}
	short, cancelShort := context.WithTimeout(ctx, 2*time.Second)
	defer cancelShort()
	if res, err := guesser.Register(short, testua.Registration{User: "1000", Password: "demo1000", Expires: 60}); err == nil {
		t.Fatalf("a blocked source was answered %d", res.StatusCode)
	}
	if res, err := phone.Register(ctx, testua.Registration{User: "1001", Password: "demo1001", Expires: 60}); err != nil || res.StatusCode != 200 {
		t.Fatalf("the phone with its password while the guesser is blocked: %v %v, want 200", res, err)
	}
}

// TestAdminSourceBlocks: the admin API lists a blocked source with the end
// of its block and lifts it: the source is served again at once.
func TestAdminSourceBlocks(t *testing.T) {
	leakcheck.Check(t)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	in := adminPBX(t, adminToken, func(c *config.Config) {
		c.SIP.SourceLimits = config.SourceLimits{Rate: 5, Burst: 5, BlockFor: time.Hour}
	})
	a := newAPI(t, in, adminToken)
	if l := a.must(ctx, http.StatusOK, "GET", "/api/v1/sources/blocked", "")["blocked"].([]any); len(l) != 0 {
		t.Fatalf("blocked before any flood: %v", l)
	}
	attacker := listenUDP(t, "127.0.0.2")
	start := time.Now()
	if got := optionsFrom(t, attacker, in.UDP, 50, 300*time.Millisecond); got > 6 {
		t.Fatalf("%d of 50 OPTIONS answered with a burst of 5", got)
	}
	l := a.must(ctx, http.StatusOK, "GET", "/api/v1/sources/blocked", "")["blocked"].([]any)
	if len(l) != 1 {
		t.Fatalf("blocked = %v, want the one flooding source", l)
	}
	b := l[0].(map[string]any)
	until, err := time.Parse(time.RFC3339, b["until"].(string))
	if b["source"] != "127.0.0.2" || err != nil || until.Before(start.Add(time.Hour-time.Minute)) || until.After(time.Now().Add(time.Hour+time.Second)) {
		t.Fatalf("blocked %v (%v), want 127.0.0.2 for an hour from the flood", b, err)
	}
	a.must(ctx, http.StatusBadRequest, "DELETE", "/api/v1/sources/blocked/not-an-ip", "")
	a.must(ctx, http.StatusNotFound, "DELETE", "/api/v1/sources/blocked/127.0.0.9", "")
	a.must(ctx, http.StatusNoContent, "DELETE", "/api/v1/sources/blocked/127.0.0.2", "")
	if got := optionsFrom(t, attacker, in.UDP, 3, 300*time.Millisecond); got != 3 {
		t.Errorf("after the block was lifted: %d of 3 OPTIONS answered", got)
	}
	if l := a.must(ctx, http.StatusOK, "GET", "/api/v1/sources/blocked", "")["blocked"].([]any); len(l) != 0 {
		t.Errorf("blocked after the DELETE: %v", l)
	}
	a.must(ctx, http.StatusNotFound, "DELETE", "/api/v1/sources/blocked/127.0.0.2", "")
}
