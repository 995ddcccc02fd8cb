package registrar

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// TestSipgoClientOverLoopback registers a real sipgo client (DoDigestAuth,
// as the simulated phones do) with a sipgo server that calls Handle. The
// client's Via advertises 127.0.0.2:9 with rport, so the responses only
// arrive if sipgo's server transaction answers to the source address
// (RFC 3581 §4); the binding must record that source, and Target must use
// it.
func TestSipgoClientOverLoopback(t *testing.T) {
	checkNoLeak(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	r, _ := newReg(t, nil, true)

	srvUA, err := sipgo.NewUA()
	if err != nil {
		t.Fatal(err)
	}
	defer srvUA.Close()
	srv, err := sipgo.NewServer(srvUA)
	if err != nil {
		t.Fatal(err)
	}
	srv.OnRegister(func(req *sip.Request, tx sip.ServerTransaction) {
		_ = tx.Respond(r.Handle(ctx, req))
	})
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = srv.ServeUDP(conn)
	}()
	defer func() {
		srvUA.Close()
		conn.Close()
		<-served
	}()

	cliUA, err := sipgo.NewUA()
	if err != nil {
		t.Fatal(err)
	}
	defer cliUA.Close()
	cli, err := sipgo.NewClient(cliUA, sipgo.WithClientHostname("127.0.0.2"), sipgo.WithClientPort(9), sipgo.WithClientNAT())
	if err != nil {
		t.Fatal(err)
	}

	var ruri, aor sip.Uri
	if err := sip.ParseUri("sip:"+conn.LocalAddr().String(), &ruri); err != nil {
		t.Fatal(err)
	}
	if err := sip.ParseUri("sip:1000@pbx.example.com", &aor); err != nil {
		t.Fatal(err)
	}
	req := sip.NewRequest(sip.REGISTER, ruri)
	req.AppendHeader(&sip.ToHeader{Address: aor})
	req.AppendHeader(&sip.FromHeader{Address: aor, Params: sip.HeaderParams{{K: "tag", V: "t1"}}})
	req.AppendHeader(sip.NewHeader("Contact", "<sip:1000@127.0.0.2:9>"))
	req.AppendHeader(sip.NewHeader("Expires", "600"))

	res, err := cli.Do(ctx, req)
	if err != nil {
		t.Fatalf("REGISTER: %v (no response: sipgo did not answer to the source port?)", err)
	}
	if res.StatusCode != 401 {
		t.Fatalf("first REGISTER: %d, want 401", res.StatusCode)
	}
	res, err = cli.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: "1000", Password: "pw1000"})
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("authenticated REGISTER: %v %v", res, err)
	}
	bs, err := r.Lookup(ctx, "1000")
	if err != nil || len(bs) != 1 {
		t.Fatalf("Lookup = %v, %v", bs, err)
	}
	b := bs[0]
	if b.Received.Addr().String() != "127.0.0.1" || b.Received.Port() == 9 || b.Transport != "udp" {
		t.Fatalf("binding source %s/%s, want 127.0.0.1:<ephemeral>/udp", b.Received, b.Transport)
	}
	if want := "sip:1000@" + b.Received.String(); b.Target() != want {
		t.Fatalf("Target = %q, want %q", b.Target(), want)
	}
	if via := res.Via(); via == nil || !strings.Contains(via.Value(), "received=127.0.0.1") {
		t.Fatalf("response Via %v lacks received (RFC 3581)", via)
	}
}
