package phone

import (
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// queryRegistrar answers every REGISTER with answer(req) and records the
// requests; it returns its address and the requests so far.
func queryRegistrar(t *testing.T, answer func(*sip.Request) *sip.Response) (string, func() []*sip.Request) {
	t.Helper()
	ua, err := sipgo.NewUA()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sipgo.NewServer(ua)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var reqs []*sip.Request
	srv.OnRegister(func(req *sip.Request, tx sip.ServerTransaction) {
		mu.Lock()
		reqs = append(reqs, req)
		mu.Unlock()
		_ = tx.Respond(answer(req))
	})
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.ServeUDP(pc)
	}()
	t.Cleanup(func() {
		_ = pc.Close()
		<-done
		time.Sleep(closeGrace)
		_ = ua.Close()
	})
	return pc.LocalAddr().String(), func() []*sip.Request {
		mu.Lock()
		defer mu.Unlock()
		return append([]*sip.Request(nil), reqs...)
	}
}

// TestBindingsQueries: Bindings sends a REGISTER without Contact and
// Expires (a query, RFC 3261 §10.2.3) and returns the listed contacts with
// their lifetimes, the phone's own marked.
func TestBindingsQueries(t *testing.T) {
	checkLeaks(t)
	ctx := testCtx(t, 10*time.Second)
	var mu sync.Mutex
	var mine string // the phone's contact, known once its Agent is up
	addr, got := queryRegistrar(t, func(req *sip.Request) *sip.Response {
		mu.Lock()
		defer mu.Unlock()
		res := sip.NewResponseFromRequest(req, 200, "OK", nil)
		res.AppendHeader(sip.NewHeader("Contact", "<"+mine+">;expires=3599"))
		res.AppendHeader(sip.NewHeader("Contact", "<sip:1000@192.0.2.9:5060>"))
		return res
	})
	p := newTestPhone(t, newTestAgent(t, Config{Target: addr}), PhoneConfig{Number: "1000"})
	mu.Lock()
	mine = p.Contact()
	mu.Unlock()
	bs, err := p.Bindings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(bs) != 2 || !bs[0].Mine || bs[0].Contact != mine || bs[0].Expires != 3599*time.Second ||
		bs[1].Mine || bs[1].Contact != "sip:1000@192.0.2.9:5060" || bs[1].Expires != 0 {
		t.Fatalf("bindings %+v (our contact %s)", bs, mine)
	}
	reqs := got()
	if len(reqs) != 1 || reqs[0].Method != sip.REGISTER || reqs[0].GetHeader("Contact") != nil || reqs[0].GetHeader("Expires") != nil {
		t.Fatalf("requests %v, want one REGISTER without Contact and Expires", reqs)
	}
}

func TestBindingsRefused(t *testing.T) {
	checkLeaks(t)
	addr, _ := queryRegistrar(t, func(req *sip.Request) *sip.Response {
		return sip.NewResponseFromRequest(req, 403, "Forbidden", nil)
	})
	p := newTestPhone(t, newTestAgent(t, Config{Target: addr}), PhoneConfig{Number: "1000"})
	if _, err := p.Bindings(testCtx(t, 10*time.Second)); StatusCode(err) != 403 {
		t.Fatalf("Bindings = %v, want a 403 StatusError", err)
	}
	noTarget := newTestPhone(t, newTestAgent(t, Config{}), PhoneConfig{Number: "1001"})
	if _, err := noTarget.Bindings(testCtx(t, time.Second)); !errors.Is(err, ErrNoTarget) {
		t.Fatalf("Bindings without target = %v", err)
	}
}
