package conformance

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

// fakeUAS answers OPTIONS with 200, every other request but ACK with 486,
// over UDP and TCP, and records the ACKs it gets.
type fakeUAS struct {
	udp  net.PacketConn
	tcp  net.Listener
	wg   sync.WaitGroup
	mu   sync.Mutex
	acks int
}

func startFake(t *testing.T) *fakeUAS {
	t.Helper()
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeUAS{udp: pc, tcp: ln}
	f.wg.Add(2)
	go f.serveUDP()
	go f.serveTCP()
	t.Cleanup(func() {
		_ = pc.Close()
		_ = ln.Close()
		f.wg.Wait()
	})
	return f
}

func (f *fakeUAS) answer(req *sip.Request) *sip.Response {
	if req.IsAck() {
		f.mu.Lock()
		f.acks++
		f.mu.Unlock()
		return nil
	}
	if req.Method == sip.OPTIONS {
		return sip.NewResponseFromRequest(req, 200, "OK", nil)
	}
	return sip.NewResponseFromRequest(req, 486, "Busy Here", nil)
}

func (f *fakeUAS) serveUDP() {
	defer f.wg.Done()
	buf := make([]byte, 65535)
	for {
		n, from, err := f.udp.ReadFrom(buf)
		if err != nil {
			return
		}
		msg, err := sip.NewParser().ParseSIP(buf[:n])
		req, ok := msg.(*sip.Request)
		if err != nil || !ok {
			continue
		}
		if res := f.answer(req); res != nil {
			_, _ = f.udp.WriteTo([]byte(res.String()), from)
		}
	}
}

func (f *fakeUAS) serveTCP() {
	defer f.wg.Done()
	var conns sync.WaitGroup
	defer conns.Wait()
	for {
		c, err := f.tcp.Accept()
		if err != nil {
			return
		}
		conns.Add(1)
		go func() {
			defer conns.Done()
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(10 * time.Second))
			stream := sip.NewParser().NewSIPStream()
			buf := make([]byte, 65535)
			for {
				n, err := c.Read(buf)
				if err != nil {
					return
				}
				perr := stream.ParseSIPStream(buf[:n], func(msg sip.Message) {
					if req, ok := msg.(*sip.Request); ok {
						if res := f.answer(req); res != nil {
							_, _ = c.Write([]byte(res.String()))
						}
					}
				})
				if perr != nil && !errors.Is(perr, sip.ErrParseSipPartial) {
					return // framing error: close, as a server does
				}
			}
		}()
	}
}

func (f *fakeUAS) ackCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.acks
}

func TestRunClassifies(t *testing.T) {
	checkGoroutines(t)
	f := startFake(t)
	invite := "INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-inv\r\n" +
		"From: <sip:a@example.com>;tag=1\r\nTo: <sip:bob@example.com>\r\nCall-ID: inv@x\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
	options := strings.NewReplacer("INVITE", "OPTIONS", "z9hG4bK-inv", "z9hG4bK-opt", "inv@x", "opt@x").Replace(invite)
	msgs := []Message{
		{Corpus: "fake", Name: "busy", Data: []byte(invite)},
		{Corpus: "fake", Name: "ok", Data: []byte(options)},
		{Corpus: "fake", Name: "wrong", Data: []byte(options)},
		{Corpus: "fake", Name: "garbage", Data: []byte("NOT SIP\r\n\r\n")},
		{Corpus: "fake", Name: "stray", Data: []byte("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKs\r\nContent-Length: 0\r\n\r\n")},
		{Corpus: "fake", Name: "unknown", Data: []byte(options)},
	}
	table := map[string]Expectation{
		"busy":    {Codes: codes(486), Reason: "r"},
		"ok":      {AnyFinal: true, Reason: "r"},
		"wrong":   {Codes: codes(404), Reason: "r"},
		"garbage": {Drop: true, Reason: "r"},
		"stray":   {Drop: true, Reason: "r"},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rep, err := Run(ctx, Target{UDP: f.udp.LocalAddr().String(), TCP: f.tcp.Addr().String()}, msgs,
		WithExpectations(table), WithTimeout(500*time.Millisecond), WithConcurrency(3))
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != 2*len(msgs) {
		t.Fatalf("%d results, want %d", len(rep.Results), 2*len(msgs))
	}
	wantFail := map[string]string{"wrong": "expected 404", "unknown": "no expectation"}
	for _, r := range rep.Results {
		want, fails := wantFail[r.Name]
		if fails != !r.Pass() || fails && !strings.Contains(r.Problem, want) {
			t.Errorf("%s over %s: problem %q, want failure %v (%q); outcome %s", r.Name, r.Transport, r.Problem, fails, want, r.Outcome.Summary())
		}
		if r.Name == "busy" && !strings.Contains(r.Rewrite, "sent-by 192.0.2.1 -> 127.0.0.1:") {
			t.Errorf("busy over %s: rewrite %q", r.Transport, r.Rewrite)
		}
		if r.Name == "garbage" && r.Transport == "tcp" && !r.Outcome.Closed {
			t.Errorf("garbage over tcp: connection not reported closed: %s", r.Outcome.Summary())
		}
	}
	if err := rep.Alive(); err != nil {
		t.Errorf("Alive: %v", err)
	}
	if n := f.ackCount(); n != 2 {
		t.Errorf("fake got %d ACKs for the two 486 to INVITE, want 2", n)
	}
	var b strings.Builder
	if err := rep.WriteText(&b); err != nil || !strings.Contains(b.String(), "12 results, 4 failed") {
		t.Errorf("WriteText: %v\n%s", err, b.String())
	}
}

func TestRunErrors(t *testing.T) {
	if _, err := Run(context.Background(), Target{}, nil); !errors.Is(err, ErrNoTarget) {
		t.Errorf("no target: %v, want ErrNoTarget", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	msgs := []Message{{Name: "x", Data: []byte("OPTIONS sip:a SIP/2.0\r\n\r\n")}}
	if _, err := Run(ctx, Target{UDP: "127.0.0.1:9"}, msgs); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v, want context.Canceled", err)
	}
}

func TestExpectationCheck(t *testing.T) {
	final := func(code int, hdrs ...string) Outcome {
		r := Response{Version: "SIP/2.0", StatusCode: code, Headers: hdrs}
		return Outcome{Responses: []Response{r}, Final: &r}
	}
	tests := []struct {
		name string
		e    Expectation
		o    Outcome
		ok   bool
	}{
		{"drop ok", Expectation{Drop: true}, Outcome{}, true},
		{"drop got answer", Expectation{Drop: true}, final(400), false},
		{"drop closed", Expectation{Drop: true}, Outcome{Closed: true}, true},
		{"code ok", Expectation{Codes: codes(400, 401)}, final(401), true},
		{"code wrong", Expectation{Codes: codes(400)}, final(500), false},
		{"code none", Expectation{Codes: codes(400)}, Outcome{}, false},
		{"header missing", Expectation{Codes: codes(420), Headers: []string{"Unsupported"}}, final(420), false},
		{"header present", Expectation{Codes: codes(420), Headers: []string{"Unsupported"}}, final(420, "unsupported"), true},
		{"any final 4xx", Expectation{AnyFinal: true}, final(407), true},
		{"any final 5xx", Expectation{AnyFinal: true}, final(503), false},
		{"or close closed", Expectation{Codes: codes(400), OrClose: true}, Outcome{Closed: true}, true},
		{"or close open", Expectation{Codes: codes(400), OrClose: true}, Outcome{}, false},
		{"or close after another message's answer", Expectation{Codes: codes(401), OrClose: true}, Outcome{Closed: true, Responses: []Response{{StatusCode: 407}}}, true},
		{"or close with a wrong final", Expectation{Codes: codes(401), OrClose: true}, Outcome{Closed: true, Final: &Response{Version: "SIP/2.0", StatusCode: 500}, Responses: []Response{{StatusCode: 500}}}, false},
		{"unspecified", Expectation{}, final(200), false},
		{"valid got 400", Expectation{AnyFinal: true, Except: codes(400)}, final(400), false},
		{"valid got 481", Expectation{AnyFinal: true, Except: codes(400)}, final(481), true},
		{"wrong version", Expectation{Codes: codes(505)}, Outcome{Final: &Response{Version: "SIP/7.0", StatusCode: 505}, Responses: []Response{{StatusCode: 505}}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if p := tt.e.Check(tt.o); (p == "") != tt.ok {
				t.Errorf("Check = %q, want ok=%v", p, tt.ok)
			}
		})
	}
}
