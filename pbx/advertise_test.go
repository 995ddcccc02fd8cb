package pbx_test

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/leakcheck"
	"pbxlab/pbx"
	"pbxlab/pbx/pbxtest"
)

// sipPeer is a bare sipgo user agent on one UDP socket: as a callee it
// answers every INVITE with 200 and records it; as a caller it dials
// through a dialog. It shows exactly what the PBX put on the wire.
type sipPeer struct {
	addr    netip.AddrPort
	client  *sipgo.Client
	contact sip.ContactHeader
	invites chan *sip.Request
	byes    chan *sip.Request
}

func newSIPPeer(t *testing.T, ip netip.Addr, user string) *sipPeer {
	t.Helper()
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("advertise-test"))
	if err != nil {
		t.Fatal(err)
	}
	pc, err := net.ListenPacket("udp", netip.AddrPortFrom(ip, 0).String())
	if err != nil {
		t.Fatal(err)
	}
	p := &sipPeer{
		addr:    netip.MustParseAddrPort(pc.LocalAddr().String()),
		invites: make(chan *sip.Request, 4),
		byes:    make(chan *sip.Request, 4),
	}
	p.contact = sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: user, Host: uriHost(ip), Port: int(p.addr.Port())}}
	if p.client, err = sipgo.NewClient(ua, sipgo.WithClientHostname(ip.String()), sipgo.WithClientConnectionAddr(p.addr.String())); err != nil {
		t.Fatal(err)
	}
	srv, err := sipgo.NewServer(ua)
	if err != nil {
		t.Fatal(err)
	}
	srv.OnInvite(func(req *sip.Request, tx sip.ServerTransaction) {
		p.invites <- req
		res := sip.NewResponseFromRequest(req, 200, "OK", []byte(testSDP(ip, 40002)))
		res.AppendHeader(sip.HeaderClone(&p.contact))
		res.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
		_ = tx.Respond(res)
	})
	srv.OnAck(func(*sip.Request, sip.ServerTransaction) {})
	srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		p.byes <- req
		_ = tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
	})
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.ServeUDP(pc)
	}()
	// Requests must leave from this socket: wait until sipgo pooled it.
	for deadline := time.Now().Add(10 * time.Second); ua.TransportLayer().Pool("udp").Size() == 0; {
		if time.Now().After(deadline) {
			t.Fatal("sipgo never served the socket")
		}
		time.Sleep(time.Millisecond)
	}
	t.Cleanup(func() {
		_ = pc.Close()
		<-done
		time.Sleep(20 * time.Millisecond) // let in-flight message goroutines settle
		_ = ua.Close()
	})
	return p
}

// uriHost is ip as the host of a SIP URI (IPv6 in brackets).
func uriHost(ip netip.Addr) string {
	if ip.Is6() {
		return "[" + ip.String() + "]"
	}
	return ip.String()
}

func testSDP(ip netip.Addr, port int) string {
	family := "IP4"
	if ip.Is6() {
		family = "IP6"
	}
	return fmt.Sprintf("v=0\r\no=- 1 1 IN %[1]s %[2]s\r\ns=-\r\nc=IN %[1]s %[2]s\r\nt=0 0\r\nm=audio %[3]d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n", family, ip, port)
}

// dial calls number through the PBX at pbxAddr and returns the 200 after
// ACKing it.
func (p *sipPeer) dial(ctx context.Context, t *testing.T, pbxAddr netip.AddrPort, number string) (*sipgo.DialogClientSession, *sip.Response) {
	t.Helper()
	dua := sipgo.DialogUA{Client: p.client, ContactHDR: p.contact}
	to := sip.Uri{Scheme: "sip", User: number, Host: uriHost(pbxAddr.Addr()), Port: int(pbxAddr.Port())}
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: p.contact.Address.User, Host: uriHost(p.addr.Addr())}, Params: sip.NewParams()}
	from.Params.Add("tag", "advertise-test")
	sess, err := dua.Invite(ctx, to, []byte(testSDP(p.addr.Addr(), 40000)), from, sip.NewHeader("Content-Type", "application/sdp"))
	if err != nil {
		t.Fatalf("INVITE %s: %v", number, err)
	}
	t.Cleanup(func() { _ = sess.Close() })
	if err := sess.WaitAnswer(ctx, sipgo.AnswerOptions{}); err != nil {
		t.Fatalf("answer: %v", err)
	}
	if err := sess.Ack(ctx); err != nil {
		t.Fatalf("ACK: %v", err)
	}
	return sess, sess.InviteResponse
}

func next(ctx context.Context, t *testing.T, ch <-chan *sip.Request, what string) *sip.Request {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-ctx.Done():
		t.Fatalf("no %s", what)
		return nil
	}
}

// TestAdvertisedAddressOnTheWire runs calls through a PBX listening on an
// unspecified address, caller and callee being bare sipgo agents on
// loopback, and checks the Via sent-by and Contact of the INVITE and BYE
// the PBX sends the callee, the Contact of its 200 to the caller, and that
// its requests leave from the listening socket.
func TestAdvertisedAddressOnTheWire(t *testing.T) {
	type testCase struct {
		name   string
		listen string
		peerIP netip.Addr
		want   func(port uint16) netip.AddrPort
	}
	cases := []testCase{
		{"0.0.0.0 advertises the route to the peer", "udp:0.0.0.0:0", netip.MustParseAddr("127.0.0.1"),
			func(port uint16) netip.AddrPort { return netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), port) }},
		// 127.0.0.2 reaches the same host (127/8 is loopback), so the dialog
		// still works when the peers send to the advertised address.
		{"configured advertise", "udp:0.0.0.0:0 advertise 127.0.0.2", netip.MustParseAddr("127.0.0.1"),
			func(port uint16) netip.AddrPort { return netip.AddrPortFrom(netip.MustParseAddr("127.0.0.2"), port) }},
		{":: advertises ::1 to a loopback peer", "udp:[::]:0", netip.IPv6Loopback(),
			func(port uint16) netip.AddrPort { return netip.AddrPortFrom(netip.IPv6Loopback(), port) }},
	}
	// A peer on one of this host's own non-loopback addresses: the kernel
	// routes to it from that address, so the PBX must advertise it rather
	// than loopback (the cases above cannot tell the two apart).
	if ip, ok := hostAddress(); ok {
		cases = append(cases, testCase{"0.0.0.0 advertises the interface address to a peer on it", "udp:0.0.0.0:0", ip,
			func(port uint16) netip.AddrPort { return netip.AddrPortFrom(ip, port) }})
	} else {
		t.Log("no non-loopback IPv4 address on this host: the interface case is not run")
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			leakcheck.Check(t)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			callee := newSIPPeer(t, tc.peerIP, "2000")
			caller := newSIPPeer(t, tc.peerIP, "1000")
			in, err := pbxtest.StartYAML(fmt.Sprintf(`
sip:
  listen: [%q]
subscribers:
  - number: "2000"
    contacts: ["sip:2000@%s"]
trusted_peers:
  - {name: caller, address: %q}
`, tc.listen, callee.addr, tc.peerIP), pbxtest.Options{KeepListen: true})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				if err := in.Close(); err != nil {
					t.Errorf("close pbx: %v", err)
				}
			})
			bound := in.UDP
			if !bound.Addr().IsUnspecified() {
				t.Fatalf("PBX bound to %s, want an unspecified address", bound)
			}
			want := tc.want(bound.Port())
			pbxAddr := netip.AddrPortFrom(tc.peerIP, bound.Port())

			sess, ok200 := caller.dial(ctx, t, pbxAddr, "2000")
			inv := next(ctx, t, callee.invites, "INVITE at the callee")
			checkAdvertised(t, "INVITE to the callee", inv, want)
			if src := netip.MustParseAddrPort(inv.Source()); src.Port() != bound.Port() {
				t.Errorf("INVITE came from %s, not from the listening port %d", src, bound.Port())
			}
			if got := contactAddr(t, ok200); got != want {
				t.Errorf("Contact of the 200 to the caller = %s, want %s", got, want)
			}
			if err := sess.Bye(ctx); err != nil {
				t.Fatalf("BYE: %v", err)
			}
			bye := next(ctx, t, callee.byes, "BYE at the callee")
			checkAdvertised(t, "BYE to the callee", bye, want)
			waitCDRs(ctx, t, in, func(r []pbx.CDR) bool { return len(r) == 1 && r[0].Disposition == pbx.Answered })
		})
	}
}

// hostAddress returns a global unicast IPv4 address of an interface that is
// up, if the host has one.
func hostAddress() (netip.Addr, bool) {
	ifs, err := net.Interfaces()
	if err != nil {
		return netip.Addr{}, false
	}
	for _, ifc := range ifs {
		if ifc.Flags&net.FlagUp == 0 || ifc.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, err := ifc.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			if pfx, err := netip.ParsePrefix(a.String()); err == nil {
				if ip := pfx.Addr(); ip.Is4() && ip.IsGlobalUnicast() {
					return ip, true
				}
			}
		}
	}
	return netip.Addr{}, false
}

// checkAdvertised checks the PBX's own (top) Via and, for a request that
// has one, its Contact.
func checkAdvertised(t *testing.T, what string, req *sip.Request, want netip.AddrPort) {
	t.Helper()
	via := req.Via()
	if via == nil {
		t.Fatalf("%s has no Via", what)
	}
	got, err := netip.ParseAddr(strings.Trim(via.Host, "[]"))
	if err != nil || netip.AddrPortFrom(got, uint16(via.Port)) != want {
		t.Errorf("%s: Via sent-by %s:%d, want %s", what, via.Host, via.Port, want)
	}
	if req.Method == sip.INVITE {
		if c := contactAddr(t, req); c != want {
			t.Errorf("%s: Contact %s, want %s", what, c, want)
		}
	}
}

func contactAddr(t *testing.T, m interface{ GetHeader(string) sip.Header }) netip.AddrPort {
	t.Helper()
	h := m.GetHeader("Contact")
	if h == nil {
		t.Fatalf("no Contact in %v", m)
	}
	c := sip.ContactHeader{Params: sip.NewParams()}
	if _, err := sip.ParseAddressValue(h.Value(), &c.Address, &c.Params); err != nil {
		t.Fatalf("Contact %q: %v", h.Value(), err)
	}
	a, err := netip.ParseAddr(strings.Trim(c.Address.Host, "[]"))
	if err != nil {
		t.Fatalf("Contact host %q: %v", c.Address.Host, err)
	}
	return netip.AddrPortFrom(a, uint16(c.Address.Port))
}
