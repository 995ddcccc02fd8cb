package sipx

import (
	"context"
	"fmt"
	"net"
	"runtime"
	"runtime/metrics"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// The tests below pin the third_party/sipgo patch "a response is handled
// on the goroutine that read it" (README.pbxlab.md): upstream starts a
// goroutine for every response it reads, which costs a scheduler wake-up
// per response and can deliver a transaction's 180 after its 200.

// rawUAS opens a UDP socket (closed when the test ends) that answers every
// INVITE it reads with the responses of codes, gap apart (0: back to back).
func rawUAS(t *testing.T, gap time.Duration, codes ...int) net.PacketConn {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	go func() {
		buf := make([]byte, 65535)
		for {
			n, addr, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			msg, err := sip.ParseMessage(append([]byte(nil), buf[:n]...))
			req, ok := msg.(*sip.Request)
			if err != nil || !ok || req.Method != sip.INVITE {
				continue
			}
			for i, code := range codes {
				if i > 0 && gap > 0 {
					time.Sleep(gap)
				}
				res := sip.NewResponseFromRequest(req, code, fmt.Sprintf("R%d", code), nil)
				res.To().Params.Add("tag", "uas")
				if _, err := pc.WriteTo([]byte(res.String()), addr); err != nil {
					return
				}
			}
		}
	}()
	return pc
}

// inlineClient is a sipgo client serving its own UDP socket, so that the
// responses come back to it.
func inlineClient(t *testing.T) *sipgo.Client {
	t.Helper()
	ua, err := sipgo.NewUA(sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(discard())),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(discard())))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ua.Close() })
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(discard()))
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.ServeUDP(pc) }()
	cl, err := sipgo.NewClient(ua, sipgo.WithClientLogger(discard()), sipgo.WithClientAddr(pc.LocalAddr().String()))
	if err != nil {
		t.Fatal(err)
	}
	// the listener is in the transport's pool once ServeUDP runs
	deadline := time.Now().Add(5 * time.Second)
	for ua.TransportLayer().Pool("udp").Size() == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	return cl
}

func inlineInvite(t *testing.T, target net.Addr, i int) *sip.Request {
	return inlineRequest(t, sip.INVITE, "UDP", target, i)
}

func inlineRequest(t *testing.T, method sip.RequestMethod, transport string, target net.Addr, i int) *sip.Request {
	t.Helper()
	var u sip.Uri
	if err := sip.ParseUri(fmt.Sprintf("sip:%d@%s", i, target), &u); err != nil {
		t.Fatal(err)
	}
	req := sip.NewRequest(method, u)
	req.SetTransport(transport)
	return req
}

// goroutinesCreated is the runtime's count of goroutines created so far.
func goroutinesCreated() uint64 {
	s := []metrics.Sample{{Name: "/sched/goroutines-created:goroutines"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// runInvites sends n INVITEs to uas one after the other, reads each one's
// three responses and returns them as "180 183 486" strings.
func runInvites(ctx context.Context, t *testing.T, cl *sipgo.Client, uas net.Addr, n int) []string {
	t.Helper()
	var out []string
	for i := range n {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		tx, err := cl.TransactionRequest(ctx, inlineInvite(t, uas, i))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for len(got) < 3 {
			select {
			case res := <-tx.Responses():
				got = append(got, fmt.Sprint(res.StatusCode))
			case <-tx.Done():
				t.Fatalf("transaction %d ended after %v: %v", i, got, tx.Err())
			case <-ctx.Done():
				t.Fatalf("transaction %d: only %v", i, got)
			}
		}
		out = append(out, strings.Join(got, " "))
	}
	return out
}

// TestResponsesInOrder: responses sent back to back reach the TU in the
// order they were sent (upstream's goroutine per response may swap them).
func TestResponsesInOrder(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	uas := rawUAS(t, 0, 180, 183, 486)
	for i, got := range runInvites(ctx, t, inlineClient(t), uas.LocalAddr(), 300) {
		if got != "180 183 486" {
			t.Fatalf("transaction %d: responses in the order %s, sent as 180 183 486", i, got)
		}
	}
}

// TestResponsesHandledInline: a response that finds its TU waiting on
// Responses() is handed over by the goroutine that read it: no goroutine
// per response (upstream: one each, 3 per transaction here).
func TestResponsesHandledInline(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// 2 ms apart, so the TU is back waiting when the next one comes (a
	// loaded machine may make it late now and then: the bound below is
	// far from both outcomes)
	uas := rawUAS(t, 2*time.Millisecond, 180, 183, 486)
	cl := inlineClient(t)

	const n = 100
	before := goroutinesCreated()
	runInvites(ctx, t, cl, uas.LocalAddr(), n)
	created := goroutinesCreated() - before
	t.Logf("%d transactions, %d responses: %d goroutines created", n, 3*n, created)
	if created >= n {
		t.Fatalf("%d goroutines created for %d responses: a goroutine per response is back (sipgo patch lost?)", created, 3*n)
	}
}

// TestUnreadResponsesDoNotStallTheReader: a TU that never reads its
// transaction's responses does not hold up the responses of other
// transactions on the same socket (the reader hands the surplus to
// goroutines), and those goroutines end with the transaction.
func TestUnreadResponsesDoNotStallTheReader(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	codes := make([]int, 20) // more provisionals than a TU that reads nothing could ever take
	for i := range codes {
		codes[i] = 180
	}
	stuck := rawUAS(t, 0, codes...)
	ok := rawUAS(t, 0, 486)
	cl := inlineClient(t)
	base := runtime.NumGoroutine()

	unread, err := cl.TransactionRequest(ctx, inlineInvite(t, stuck.LocalAddr(), 1))
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // let the 20 provisionals arrive (not a timing assertion: the check below waits)
	tx, err := cl.TransactionRequest(ctx, inlineInvite(t, ok.LocalAddr(), 2))
	if err != nil {
		t.Fatal(err)
	}
	select {
	case res := <-tx.Responses():
		if res.StatusCode != 486 {
			t.Fatalf("got %d, want 486", res.StatusCode)
		}
	case <-ctx.Done():
		t.Fatal("the other transaction's response never came: the reader is stuck on the unread transaction")
	}
	tx.Terminate()
	unread.Terminate()
	for runtime.NumGoroutine() > base+2 { // the hand-off goroutines end with the transaction
		select {
		case <-ctx.Done():
			t.Fatalf("goroutines: %d, %d before the unread transaction", runtime.NumGoroutine(), base)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// TestResponseBeforeDone: over TCP a non-INVITE transaction ends as its
// final response arrives (Timer K is 0); a TU that was busy then still gets
// the response before Done closes, as with upstream's blocking hand-over.
func TestResponseBeforeDone(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go rawTCPUAS(ln)
	cl := inlineClient(t)
	for i := range 20 {
		tx, err := cl.TransactionRequest(ctx, inlineRequest(t, sip.OPTIONS, "TCP", ln.Addr(), i))
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond) // busy: the 200 comes and the transaction ends meanwhile
		select {
		case res := <-tx.Responses():
			if res.StatusCode != 200 {
				t.Fatalf("request %d: %d", i, res.StatusCode)
			}
		case <-tx.Done():
			t.Fatalf("request %d: Done before the 200 was taken (%v)", i, tx.Err())
		case <-ctx.Done():
			t.Fatalf("request %d: no response", i)
		}
		select { // and then it ends
		case <-tx.Done():
		case <-ctx.Done():
			t.Fatalf("request %d: Done never closed", i)
		}
	}
}

// rawTCPUAS answers each request (without a body) read on the connections
// ln accepts with 200.
func rawTCPUAS(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			var pending []byte
			buf := make([]byte, 4096)
			for {
				n, err := c.Read(buf)
				if err != nil {
					return
				}
				pending = append(pending, buf[:n]...)
				for {
					end := strings.Index(string(pending), "\r\n\r\n")
					if end < 0 {
						break
					}
					msg, err := sip.ParseMessage(pending[:end+4])
					pending = pending[end+4:]
					req, ok := msg.(*sip.Request)
					if err != nil || !ok {
						continue
					}
					res := sip.NewResponseFromRequest(req, 200, "OK", nil)
					if _, err := c.Write([]byte(res.String())); err != nil {
						return
					}
				}
			}
		}()
	}
}
