package replay_test

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/leakcheck"
	"pbxlab/internal/pcapio"
	"pbxlab/internal/replay"
	"pbxlab/internal/sipwire"
)

// recorder is a network that records every dial and every write, and
// answers each request written with a 200 whose Contact is a foreign
// address (the replay must still send the dialog's next requests to the
// target).
type recorder struct {
	// answer, if set, gives the bytes the target sends back for each
	// request written (default: a 200 OK).
	answer func(req *sip.Request) []byte
	// twice sends each 200 twice (a retransmission)
	twice  bool
	mu     sync.Mutex
	dials  []string
	writes []string // remote address of each write
	sent   [][]byte // what was written
	conns  []*fakeConn
	port   int
}

func (rc *recorder) DialContext(_ context.Context, network, address string) (net.Conn, error) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.dials = append(rc.dials, network+" "+address)
	remote, err := netip.ParseAddrPort(address)
	if err != nil {
		return nil, err
	}
	rc.port++
	local := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(40000+rc.port))
	c := &fakeConn{rec: rc, local: net.UDPAddrFromAddrPort(local), remote: net.UDPAddrFromAddrPort(remote),
		in: make(chan []byte, 64), closed: make(chan struct{})}
	rc.conns = append(rc.conns, c)
	return c, nil
}

type fakeConn struct {
	rec           *recorder
	local, remote net.Addr
	in            chan []byte
	closed        chan struct{}
	once          sync.Once
}

func (c *fakeConn) Read(b []byte) (int, error) {
	select {
	case m := <-c.in:
		return copy(b, m), nil
	case <-c.closed:
		return 0, net.ErrClosed
	}
}

func (c *fakeConn) Write(b []byte) (int, error) {
	c.rec.mu.Lock()
	c.rec.writes = append(c.rec.writes, c.remote.String())
	c.rec.sent = append(c.rec.sent, append([]byte(nil), b...))
	c.rec.mu.Unlock()
	m, err := sip.ParseMessage(b)
	if err != nil {
		return len(b), nil
	}
	if req, ok := m.(*sip.Request); ok && req.Method != sip.ACK && c.rec.answer != nil {
		select {
		case c.in <- c.rec.answer(req):
		default:
		}
	} else if ok && req.Method != sip.ACK {
		res := sip.NewResponseFromRequest(req, 200, "OK", nil)
		if _, ok := res.To().Params.Get("tag"); !ok {
			res.To().Params.Add("tag", "live1")
		}
		res.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "pbx", Host: "203.0.113.9", Port: 5060}})
		res.AppendHeader(sip.NewHeader("Record-Route", "<sip:198.51.100.7;lr>"))
		for range 1 + btoi(c.rec.twice) {
			select {
			case c.in <- []byte(res.String()):
			default:
			}
		}
	}
	return len(b), nil
}

func (c *fakeConn) Close() error {
	c.once.Do(func() { close(c.closed) })
	return nil
}
func (c *fakeConn) LocalAddr() net.Addr              { return c.local }
func (c *fakeConn) RemoteAddr() net.Addr             { return c.remote }
func (c *fakeConn) SetDeadline(time.Time) error      { return nil }
func (c *fakeConn) SetReadDeadline(time.Time) error  { return nil }
func (c *fakeConn) SetWriteDeadline(time.Time) error { return nil }

// foreignCapture is a third-party capture: a registrar at 8.8.8.8,
// parties at private, public and IPv6 addresses, over UDP and TCP, with
// Routes, Contacts and SDP naming yet other addresses.
func foreignCapture(t *testing.T) []sipwire.Message {
	t.Helper()
	sut := netip.MustParseAddrPort("8.8.8.8:5060")
	parties := []struct {
		addr  netip.AddrPort
		proto string
		user  string
	}{
		{netip.MustParseAddrPort("10.1.2.3:5060"), pcapio.ProtoUDP, "alice"},
		{netip.MustParseAddrPort("[2001:db8::1]:5062"), pcapio.ProtoUDP, "bob"},
		{netip.MustParseAddrPort("192.168.1.7:5070"), pcapio.ProtoTCP, "carol"},
	}
	var msgs []sipwire.Message
	at := time.Unix(1700000000, 0)
	add := func(proto string, src, dst netip.AddrPort, text string) {
		m, err := sip.ParseMessage([]byte(strings.ReplaceAll(text, "\n", "\r\n")))
		if err != nil {
			t.Fatalf("%v\n%s", err, text)
		}
		at = at.Add(10 * time.Millisecond)
		msgs = append(msgs, sipwire.Message{Time: at, Proto: proto, Src: src, Dst: dst, Msg: m})
	}
	for i, p := range parties {
		host := p.addr.Addr().String()
		if p.addr.Addr().Is6() {
			host = "[" + host + "]"
		}
		via := fmt.Sprintf("Via: SIP/2.0/%s %s:%d;branch=z9hG4bKr%d", strings.ToUpper(p.proto), host, p.addr.Port(), i)
		hdr := fmt.Sprintf("%s\nFrom: <sip:%s@8.8.8.8>;tag=f%d\nTo: <sip:%s@8.8.8.8>\nCall-ID: reg-%d@%s\nCSeq: 1 REGISTER\n", via, p.user, i, p.user, i, host)
		add(p.proto, p.addr, sut, "REGISTER sip:8.8.8.8 SIP/2.0\n"+hdr+fmt.Sprintf("Contact: <sip:%s@%s:%d>\nContent-Length: 0\n\n", p.user, host, p.addr.Port()))
		add(p.proto, sut, p.addr, "SIP/2.0 200 OK\n"+strings.Replace(hdr, "\nCall-ID", ";tag=s\nCall-ID", 1)+"Content-Length: 0\n\n")
	}
	a := parties[0]
	sdp := "v=0\no=- 1 1 IN IP4 10.1.2.3\ns=-\nc=IN IP4 10.1.2.3\nt=0 0\nm=audio 4000 RTP/AVP 0\n"
	inv := fmt.Sprintf("INVITE sip:bob@8.8.8.8 SIP/2.0\nVia: SIP/2.0/UDP 10.1.2.3:5060;branch=z9hG4bKi1\nRoute: <sip:172.16.0.1;lr>\nFrom: <sip:alice@8.8.8.8>;tag=fa\nTo: <sip:bob@8.8.8.8>\nCall-ID: call-1\nCSeq: 1 INVITE\nContact: <sip:alice@10.1.2.3:5060>\nContent-Type: application/sdp\nContent-Length: %d\n\n%s", len(strings.ReplaceAll(sdp, "\n", "\r\n")), sdp)
	add(a.proto, a.addr, sut, inv)
	dlg := "From: <sip:alice@8.8.8.8>;tag=fa\nTo: <sip:bob@8.8.8.8>;tag=sb\nCall-ID: call-1\n"
	add(a.proto, sut, a.addr, "SIP/2.0 200 OK\nVia: SIP/2.0/UDP 10.1.2.3:5060;branch=z9hG4bKi1\n"+dlg+"CSeq: 1 INVITE\nContact: <sip:bob@[2001:db8::1]:5062>\nContent-Length: 0\n\n")
	add(a.proto, a.addr, sut, "ACK sip:bob@[2001:db8::1]:5062 SIP/2.0\nVia: SIP/2.0/UDP 10.1.2.3:5060;branch=z9hG4bKa1\n"+dlg+"CSeq: 1 ACK\nContent-Length: 0\n\n")
	add(a.proto, a.addr, sut, "BYE sip:bob@[2001:db8::1]:5062 SIP/2.0\nVia: SIP/2.0/UDP 10.1.2.3:5060;branch=z9hG4bKb1\n"+dlg+"CSeq: 2 BYE\nContent-Length: 0\n\n")
	add(a.proto, sut, a.addr, "SIP/2.0 200 OK\nVia: SIP/2.0/UDP 10.1.2.3:5060;branch=z9hG4bKb1\n"+dlg+"CSeq: 2 BYE\nContent-Length: 0\n\n")
	return msgs
}

// TestReplaySendsOnlyToTheTarget: whatever addresses the capture holds,
// every connection is dialled to the target and every packet written on
// one.
func TestReplaySendsOnlyToTheTarget(t *testing.T) {
	leakcheck.Check(t)
	const target = "127.0.0.1:5999"
	rec := &recorder{}
	r, err := replay.New(replay.Config{Messages: foreignCapture(t), Target: target, Timeout: 300 * time.Millisecond, Pace: replay.Pace{Fast: true}},
		replay.WithNetwork(rec))
	if err != nil {
		t.Fatal(err)
	}
	if r.Parties() != 3 {
		t.Fatalf("%d parties, want 3", r.Parties())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	rep, err := r.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.dials) != 3 {
		t.Errorf("dials %v, want one per party", rec.dials)
	}
	for _, d := range rec.dials {
		if !strings.HasSuffix(d, " "+target) {
			t.Errorf("dialled %s, want only %s", d, target)
		}
	}
	if len(rec.writes) < 6 { // 3 REGISTERs, INVITE, ACK, BYE
		t.Errorf("%d packets written, want at least 6:\n%s", len(rec.writes), rep)
	}
	for _, w := range rec.writes {
		if w != target {
			t.Errorf("a packet went to %s, want only %s", w, target)
		}
	}
	if !rep.Equivalent() {
		t.Errorf("the fake target answers as the capture: want equivalent\n%s", rep)
	}
	// in the dialog: the Request-URI is the target's Contact, the route
	// set its Record-Route; the captured Route and addresses are gone
	var bye *sip.Request
	for _, b := range rec.sent {
		if m, err := sip.ParseMessage(b); err == nil {
			if req, ok := m.(*sip.Request); ok {
				if req.Method == sip.BYE {
					bye = req
				}
				if req.Method == sip.INVITE && (req.GetHeader("Route") != nil || strings.Contains(string(req.Body()), "10.1.2.3")) {
					t.Errorf("the INVITE keeps the capture's Route or media address:\n%s", b)
				}
			}
		}
	}
	if bye == nil || bye.Recipient.Host != "203.0.113.9" || bye.GetHeader("Route") == nil || bye.GetHeader("Route").Value() != "<sip:198.51.100.7;lr>" {
		t.Errorf("the BYE does not follow the live dialog:\n%v", bye)
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestReplayAbsorbsRetransmissions: the target's retransmissions are
// neither matched twice nor reported.
func TestReplayAbsorbsRetransmissions(t *testing.T) {
	rec := &recorder{twice: true}
	r, err := replay.New(replay.Config{Messages: foreignCapture(t), Target: "127.0.0.1:5999", Timeout: time.Second, Pace: replay.Pace{Fast: true}},
		replay.WithNetwork(rec))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	rep, err := r.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Equivalent() || rep.Received != 5 { // 3 REGISTERs, INVITE, BYE answered
		t.Fatalf("received %d, want 5; equivalent %v\n%s", rep.Received, rep.Equivalent(), rep)
	}
}
