package sipx

import (
	"context"
	"fmt"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/clock"
)

// fakeTx is a sip.ServerTransaction that records what it was told.
type fakeTx struct {
	mu         sync.Mutex
	sent       []*sip.Response
	terminated bool
}

func (f *fakeTx) Respond(res *sip.Response) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sent = append(f.sent, res)
	return nil
}
func (f *fakeTx) Terminate() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.terminated = true
}
func (f *fakeTx) OnTerminate(sip.FnTxTerminate) bool { return true }
func (f *fakeTx) Done() <-chan struct{}              { return nil }
func (f *fakeTx) Err() error                         { return nil }
func (f *fakeTx) Acks() <-chan *sip.Request          { return nil }
func (f *fakeTx) OnCancel(sip.FnTxCancel) bool       { return true }

func register(t testing.TB, branch, transport string) *sip.Request {
	t.Helper()
	raw := "REGISTER sip:pbx SIP/2.0\r\n" +
		"Via: SIP/2.0/" + transport + " 10.0.0.5:5062;branch=" + branch + "\r\n" +
		"From: <sip:1000@pbx>;tag=a\r\nTo: <sip:1000@pbx>\r\nCall-ID: c1\r\nCSeq: 7 REGISTER\r\n" +
		"Contact: <sip:1000@10.0.0.5:5062>\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
	msg, err := sip.ParseMessage([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	req := msg.(*sip.Request)
	req.SetTransport(transport)
	req.SetSource("10.0.0.5:5062")
	return req
}

// counting answers 200 with a fresh To tag and counts its calls.
func counting(n *int) Handler {
	return func(_ context.Context, req *sip.Request, tx Tx) error {
		*n++
		return tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
	}
}

func TestReplayAnswersRetransmissionFromCache(t *testing.T) {
	c := clock.NewFake(time.Unix(1e9, 0))
	r := NewReplay(32*time.Second, 100, c)
	calls := 0
	h := r.Wrap(counting(&calls))
	ctx := context.Background()

	first := &fakeTx{}
	if err := h(ctx, register(t, "z9hG4bK-1", "UDP"), NewTx(first)); err != nil {
		t.Fatal(err)
	}
	if calls != 1 || len(first.sent) != 1 || !first.terminated {
		t.Fatalf("first: calls=%d sent=%d terminated=%v, want 1, 1, true", calls, len(first.sent), first.terminated)
	}
	c.Advance(31 * time.Second)
	again := &fakeTx{}
	if err := h(ctx, register(t, "z9hG4bK-1", "UDP"), NewTx(again)); err != nil {
		t.Fatal(err)
	}
	if calls != 1 {
		t.Fatalf("the retransmission reached the handler (calls=%d)", calls)
	}
	if len(again.sent) != 1 || !again.terminated {
		t.Fatalf("retransmission: sent=%d terminated=%v, want 1, true", len(again.sent), again.terminated)
	}
	got, want := again.sent[0], first.sent[0]
	if got.StatusCode != 200 || got.To().Params.String() != want.To().Params.String() || got.Destination() != want.Destination() {
		t.Errorf("replayed %q (To %s, dest %s), want the first answer's To %s, dest %s",
			got.StartLine(), got.To(), got.Destination(), want.To(), want.Destination())
	}
	c.Advance(2 * time.Second) // past Timer J: a new request as far as RFC 3261 goes
	if err := h(ctx, register(t, "z9hG4bK-1", "UDP"), NewTx(&fakeTx{})); err != nil {
		t.Fatal(err)
	}
	if calls != 2 {
		t.Errorf("after Timer J the request was not handled (calls=%d)", calls)
	}
}

func TestReplayLeavesOthersToSipgo(t *testing.T) {
	r := NewReplay(32*time.Second, 100, clock.NewFake(time.Unix(1e9, 0)))
	for _, tc := range []struct{ name, branch, transport string }{
		{"tcp", "z9hG4bK-2", "TCP"},
		{"rfc2543 branch", "abc", "UDP"},
		{"bare cookie", "z9hG4bK", "UDP"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			h := r.Wrap(counting(&calls))
			for range 2 {
				tx := &fakeTx{}
				if err := h(context.Background(), register(t, tc.branch, tc.transport), NewTx(tx)); err != nil {
					t.Fatal(err)
				}
				if tx.terminated {
					t.Error("Replay ended a transaction it does not cache")
				}
			}
			if calls != 2 || r.Len() != 0 {
				t.Errorf("calls=%d cached=%d, want 2, 0", calls, r.Len())
			}
		})
	}
}

func TestReplayBoundedAndSwept(t *testing.T) {
	c := clock.NewFake(time.Unix(1e9, 0))
	r := NewReplay(32*time.Second, 10, c)
	calls := 0
	h := r.Wrap(counting(&calls))
	for i := range 25 {
		if err := h(context.Background(), register(t, fmt.Sprintf("z9hG4bK-%d", i), "UDP"), NewTx(&fakeTx{})); err != nil {
			t.Fatal(err)
		}
	}
	if n := r.Len(); n > 10 {
		t.Errorf("cache holds %d, max 10", n)
	}
	// the newest is still answered from the cache, the oldest is gone
	_ = h(context.Background(), register(t, "z9hG4bK-24", "UDP"), NewTx(&fakeTx{}))
	_ = h(context.Background(), register(t, "z9hG4bK-0", "UDP"), NewTx(&fakeTx{}))
	if calls != 26 {
		t.Errorf("calls=%d, want 26 (newest replayed, oldest handled again)", calls)
	}
	c.Advance(time.Minute)
	_ = h(context.Background(), register(t, "z9hG4bK-x", "UDP"), NewTx(&fakeTx{}))
	if n := r.Len(); n != 1 {
		t.Errorf("after expiry the cache holds %d, want 1", n)
	}
}

// A handler that answers nothing final leaves the transaction to sipgo
// and caches nothing.
func TestReplayNoFinalNoCache(t *testing.T) {
	r := NewReplay(32*time.Second, 10, clock.NewFake(time.Unix(1e9, 0)))
	tx := &fakeTx{}
	err := r.Wrap(func(context.Context, *sip.Request, Tx) error { return nil })(context.Background(), register(t, "z9hG4bK-9", "UDP"), NewTx(tx))
	if err != nil || tx.terminated || r.Len() != 0 {
		t.Errorf("err=%v terminated=%v cached=%d", err, tx.terminated, r.Len())
	}
}

// A handler that fails is answered with its error's response (Adapt's
// mapping, here 403) by the Replay itself, which keeps it for the
// retransmissions: the second copy gets it without the handler.
func TestReplayErrorResponseCached(t *testing.T) {
	r := NewReplay(32*time.Second, 10, clock.NewFake(time.Unix(1e9, 0)))
	calls := 0
	h := r.Wrap(func(context.Context, *sip.Request, Tx) error { calls++; return ErrForbidden })
	tx := &fakeTx{}
	err := h(context.Background(), register(t, "z9hG4bK-9", "UDP"), NewTx(tx))
	if err != ErrForbidden || !tx.terminated || r.Len() != 1 || len(tx.sent) != 1 || tx.sent[0].StatusCode != 403 {
		t.Fatalf("err=%v terminated=%v cached=%d sent=%v", err, tx.terminated, r.Len(), tx.sent)
	}
	again := &fakeTx{}
	_ = h(context.Background(), register(t, "z9hG4bK-9", "UDP"), NewTx(again))
	if calls != 1 || len(again.sent) != 1 || again.sent[0].StatusCode != 403 {
		t.Errorf("retransmission: handler calls=%d, sent=%v", calls, again.sent)
	}
}

// BenchmarkRegisterTxRetained measures what one answered REGISTER keeps
// alive for Timer J: a live sipgo server transaction (before) or a Replay
// entry (after). Retained heap per REGISTER is reported as B/retained.
func BenchmarkRegisterTxRetained(b *testing.B) {
	for _, mode := range []string{"tx=sipgo", "tx=replay"} {
		b.Run(mode, func(b *testing.B) {
			r := NewReplay(32*time.Second, 1<<20, nil)
			ok := func(_ context.Context, req *sip.Request, tx Tx) error {
				return tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
			}
			keep := make([]*sip.ServerTx, 0, b.N)
			conn := &nopConn{}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			b.ResetTimer()
			for i := range b.N {
				req := register(b, fmt.Sprintf("z9hG4bK-%d", i), "UDP")
				stx := sip.NewServerTx(fmt.Sprintf("k%d", i), req, conn, discard())
				if err := stx.Init(); err != nil {
					b.Fatal(err)
				}
				if mode == "tx=replay" {
					_ = r.Wrap(ok)(context.Background(), req, NewTx(stx))
				} else {
					_ = ok(context.Background(), req, NewTx(stx))
					keep = append(keep, stx) // sipgo's store holds it for Timer J
				}
			}
			b.StopTimer()
			runtime.GC()
			runtime.ReadMemStats(&after)
			b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/float64(b.N), "B/retained")
			for _, tx := range keep {
				tx.Terminate()
			}
			runtime.KeepAlive(r)
		})
	}
}

// nopConn is a sip.Connection that writes nowhere.
type nopConn struct{}

func (nopConn) LocalAddr() net.Addr        { return &net.UDPAddr{} }
func (nopConn) WriteMsg(sip.Message) error { return nil }
func (nopConn) Ref(int) int                { return 1 }
func (nopConn) TryClose() (int, error)     { return 0, nil }
func (nopConn) Close() error               { return nil }

// After a burst, Sweep drops the expired responses without waiting for the
// next put, and a cache drained to a quarter of its peak is rebuilt, so
// the map's buckets and the FIFO's array sized for the burst are freed.
func TestReplaySweepShrinks(t *testing.T) {
	c := clock.NewFake(time.Unix(1e9, 0))
	r := NewReplay(32*time.Second, 1<<20, c)
	h := r.Wrap(func(_ context.Context, req *sip.Request, tx Tx) error {
		return tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
	})
	const burst = 4 * replayShrinkMin
	for i := range burst {
		_ = h(context.Background(), register(t, fmt.Sprintf("z9hG4bK-%d", i), "UDP"), NewTx(&fakeTx{}))
	}
	if r.Len() != burst || r.peak != burst {
		t.Fatalf("after the burst: %d cached, peak %d", r.Len(), r.peak)
	}
	c.Advance(33 * time.Second)
	r.Sweep()
	if r.Len() != 0 {
		t.Fatalf("after Sweep past their life: %d cached", r.Len())
	}
	if r.peak != 0 || cap(r.order) >= replayShrinkMin {
		t.Fatalf("the drained cache was not rebuilt: peak %d, FIFO capacity %d", r.peak, cap(r.order))
	}
	// and it still works
	_ = h(context.Background(), register(t, "z9hG4bK-after", "UDP"), NewTx(&fakeTx{}))
	if r.Len() != 1 {
		t.Fatalf("after a new put: %d cached", r.Len())
	}
}
