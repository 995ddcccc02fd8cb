package conformance

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"
)

// Target is the element under test: "host:port" per transport; an empty
// address skips that transport.
type Target struct {
	UDP string
	TCP string
}

// Option configures Run.
type Option func(*runner)

// WithTimeout bounds the wait for a message's final response, and is the
// whole wait for a message that must get no response (default 2s).
func WithTimeout(d time.Duration) Option {
	return func(r *runner) {
		if d > 0 {
			r.timeout = d
		}
	}
}

// WithConcurrency sets how many messages are in flight at once (default 8).
func WithConcurrency(n int) Option {
	return func(r *runner) {
		if n > 0 {
			r.concurrency = n
		}
	}
}

// WithExpectations replaces the expectation table (default Expectations()).
func WithExpectations(t map[string]Expectation) Option {
	return func(r *runner) { r.expect = t }
}

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option {
	return func(r *runner) {
		if l != nil {
			r.log = l
		}
	}
}

type runner struct {
	timeout     time.Duration
	concurrency int
	expect      map[string]Expectation
	rfc         map[string]Expectation
	log         *slog.Logger
	ports       *portSet
}

type job struct {
	transport, addr string
	msg             Message
	exp, rfc        Expectation
	known           bool
}

// Run sends every message over every transport of target, one socket (UDP)
// or connection (TCP) per message, classifies each outcome against the
// expectation table, and finally checks that the target still answers an
// OPTIONS over each transport (Report.Liveness). It returns an error only
// when it cannot run at all (no target, ctx ended); a message that gets the
// wrong answer is a failed Result, not an error.
func Run(ctx context.Context, target Target, msgs []Message, opts ...Option) (*Report, error) {
	if target.UDP == "" && target.TCP == "" {
		return nil, fmt.Errorf("run conformance: %w", ErrNoTarget)
	}
	r := &runner{timeout: 2 * time.Second, concurrency: 8, log: slog.New(slog.DiscardHandler), ports: newPortSet()}
	for _, o := range opts {
		o(r)
	}
	if r.expect == nil {
		r.expect = Expectations()
	}
	r.rfc = RFCAnswers()
	defer r.ports.closeAll()

	var jobs []job
	for _, tr := range []struct{ name, addr string }{{"udp", target.UDP}, {"tcp", target.TCP}} {
		if tr.addr == "" {
			continue
		}
		for _, m := range msgs {
			e, ok := r.expect[m.Name]
			jobs = append(jobs, job{transport: tr.name, addr: tr.addr, msg: m, exp: e.For(tr.name), rfc: r.rfc[m.Name].For(tr.name), known: ok})
		}
	}
	rep := &Report{Target: target, Results: make([]Result, len(jobs))}
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < min(r.concurrency, len(jobs)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				rep.Results[i] = r.one(ctx, jobs[i])
			}
		}()
	}
feed:
	for i := range jobs {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return rep, fmt.Errorf("run conformance: %w", err)
	}
	for _, tr := range []struct{ name, addr string }{{"udp", target.UDP}, {"tcp", target.TCP}} {
		if tr.addr != "" {
			rep.Liveness = append(rep.Liveness, r.liveness(ctx, tr.name, tr.addr))
		}
	}
	return rep, nil
}

// one sends a message and classifies the outcome.
func (r *runner) one(ctx context.Context, j job) Result {
	res := Result{Corpus: j.msg.Corpus, Name: j.msg.Name, File: j.msg.File, Transport: j.transport, RFC: j.rfc, Expected: j.exp}
	res.Rewrite, res.Outcome = r.exchange(ctx, j.transport, j.addr, j.msg.Data, j.msg.IsResponse(), j.exp.Drop)
	switch {
	case !j.known:
		res.Problem = "no expectation for this message in the table"
	case res.Outcome.Err != "":
		res.Problem = res.Outcome.Err
	default:
		res.Problem = j.exp.Check(res.Outcome)
	}
	r.log.Debug("torture message", "id", j.msg.ID(), "transport", j.transport, "expected", j.exp.String(),
		"got", res.Outcome.Summary(), "problem", res.Problem)
	return res
}

// liveness sends a plain OPTIONS and expects 200.
func (r *runner) liveness(ctx context.Context, transport, addr string) Liveness {
	id := randomID()
	msg := fmt.Sprintf("OPTIONS sip:conformance@%[1]s SIP/2.0\r\n"+
		"Via: SIP/2.0/UDP 0.0.0.0:0;branch=z9hG4bK-%[2]s\r\n"+
		"Max-Forwards: 70\r\n"+
		"From: <sip:conformance@invalid>;tag=%[2]s\r\n"+
		"To: <sip:conformance@%[1]s>\r\n"+
		"Call-ID: %[2]s@conformance.invalid\r\n"+
		"CSeq: 1 OPTIONS\r\n"+
		"Content-Length: 0\r\n\r\n", addr, id)
	_, out := r.exchange(ctx, transport, addr, []byte(msg), false, false)
	return Liveness{Transport: transport, Outcome: out, Problem: Expectation{Codes: codes(200)}.Check(out)}
}

// exchange sends data over a new socket or connection and collects the
// responses until a final one arrives (or, when wantNone, until the
// timeout).
func (r *runner) exchange(ctx context.Context, transport, addr string, data []byte, isResponse, wantNone bool) (string, Outcome) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	var c conn
	var err error
	if transport == "tcp" {
		c, err = r.dialTCP(ctx, addr)
	} else {
		c, err = r.dialUDP(ctx, addr)
	}
	if err != nil {
		return "none", Outcome{Err: err.Error()}
	}
	defer c.Close()
	rewrite := "none (a response is sent as it is)"
	if !isResponse {
		local := c.LocalAddr().String()
		nd, rw, err := RewriteTopVia(data, transportToken(transport), local)
		switch {
		case errors.Is(err, ErrNoVia):
			rewrite = "none (no Via found)"
		case err != nil:
			return "none", Outcome{Err: err.Error()}
		default:
			data, rewrite = nd, rw.String()
		}
	}
	ex := newExchange(data)
	return rewrite, c.roundTrip(ctx, ex, wantNone)
}

func transportToken(t string) string {
	if t == "tcp" {
		return "TCP"
	}
	return "UDP"
}

func randomID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// portSet remembers the local ports used in one Run so that no two
// messages share a sent-by (RFC 3261 §17.2.3 transaction matching ignores
// the transport), and holds the UDP sockets open until the end so a late
// retransmission finds a socket rather than an ICMP error.
type portSet struct {
	mu   sync.Mutex
	used map[int]bool
	keep []net.Conn
}

func newPortSet() *portSet { return &portSet{used: make(map[int]bool)} }

// claim registers port and reports whether it was free.
func (p *portSet) claim(port int) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.used[port] {
		return false
	}
	p.used[port] = true
	return true
}

func (p *portSet) hold(c net.Conn) {
	p.mu.Lock()
	p.keep = append(p.keep, c)
	p.mu.Unlock()
}

func (p *portSet) closeAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.keep {
		_ = c.Close()
	}
	p.keep = nil
}
