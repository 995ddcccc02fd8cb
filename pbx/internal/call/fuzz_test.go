package call

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/pbx/internal/cdr"
	"pbxlab/pbx/internal/sipx"
)

// fakeTx is a sip.ServerTransaction that records responses.
type fakeTx struct {
	mu    sync.Mutex
	resps []*sip.Response
	done  chan struct{}
	acks  chan *sip.Request
}

func newFakeTx() *fakeTx { return &fakeTx{done: make(chan struct{}), acks: make(chan *sip.Request)} }

func (f *fakeTx) Respond(res *sip.Response) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.resps = append(f.resps, res)
	return nil
}
func (f *fakeTx) Acks() <-chan *sip.Request          { return f.acks }
func (f *fakeTx) OnCancel(sip.FnTxCancel) bool       { return true }
func (f *fakeTx) Terminate()                         {}
func (f *fakeTx) OnTerminate(sip.FnTxTerminate) bool { return true }
func (f *fakeTx) Done() <-chan struct{}              { return f.done }
func (f *fakeTx) Err() error                         { return nil }

// fakeSender fails every request: the fuzz target exercises request
// handling, not the network.
type fakeSender struct{}

func (fakeSender) Request(context.Context, *sip.Request) (sip.ClientTransaction, error) {
	return nil, errors.New("no network in fuzz")
}
func (fakeSender) Write(*sip.Request) error { return nil }

type fakeCDR struct{}

func (fakeCDR) Begin(context.Context, cdr.Record) (int64, error) { return 1, nil }
func (fakeCDR) Finish(context.Context, int64, cdr.Record) error  { return nil }
func (fakeCDR) Answered(context.Context, int64, time.Time) error { return nil }

func fuzzManager(t testing.TB) *Manager {
	local := sipx.Local{Transport: "udp", Addr: netip.MustParseAddrPort("127.0.0.1:5060")}
	target := Target{URI: sip.Uri{Scheme: "sip", User: "1001", Host: "127.0.0.1", Port: 5070}, Transport: "udp", Dest: "127.0.0.1:5070"}
	m, err := New(Deps{
		Sender: fakeSender{},
		Policy: Funcs{RouteFunc: func(_ context.Context, in Incoming) (Decision, error) {
			if in.Dialled != "1001" {
				return Decision{Kind: Reject, Err: sipx.ErrNotFound}, nil
			}
			return Decision{Kind: ToSubscriber, Callee: "1001", Targets: []Target{target}}, nil
		}},
		Local: func(string, netip.AddrPort) (sipx.Local, bool) { return local, true },
		CDR:   fakeCDR{},
		Token: sipx.NewBranchToken(),
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// FuzzHandlers feeds any message sipgo's parser accepts through the same
// validation and method handlers the PBX runs: no panic, and every
// non-ACK request gets exactly one final response.
func FuzzHandlers(f *testing.F) {
	for _, dir := range []string{"../../testdata/conformance/rfc4475"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.dat"))
		for _, p := range files {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add([]byte("INVITE sip:1001@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1\r\nFrom: <sip:1000@h>;tag=a\r\nTo: <sip:1001@h>\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"))
	f.Add([]byte("BYE sip:1001@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK2\r\nFrom: <sip:1000@h>;tag=a\r\nTo: <sip:1001@h>;tag=b\r\nCall-ID: x\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n"))
	m := fuzzManager(f)
	handlers := map[sip.RequestMethod]sipx.Handler{
		sip.INVITE: m.HandleInvite, sip.ACK: m.HandleAck, sip.BYE: m.HandleBye, sip.CANCEL: m.HandleCancel,
		sip.OPTIONS: m.HandleOptions, sip.UPDATE: m.HandleInDialog, sip.INFO: m.HandleInDialog,
		sip.REFER: m.HandleInDialog, sip.SUBSCRIBE: m.HandleInDialog, sip.NOTIFY: m.HandleInDialog, sip.MESSAGE: m.HandleInDialog,
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		msg, err := sip.ParseMessage(data)
		if err != nil {
			return
		}
		req, ok := msg.(*sip.Request)
		if !ok {
			return
		}
		req.SetSource("127.0.0.1:5070")
		req.SetTransport("UDP")
		h, ok := handlers[req.Method]
		if !ok {
			h = func(context.Context, *sip.Request, sipx.Tx) error { return sipx.ErrNotImplemented }
		}
		tx := newFakeTx()
		sipx.Adapt(context.Background(), m.log, h)(req, tx)
		// a started call answers from its fork goroutine: wait for it
		deadline := time.Now().Add(2 * time.Second)
		for m.Active() > 0 && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		tx.mu.Lock()
		defer tx.mu.Unlock()
		final := 0
		for _, r := range tx.resps {
			if r.StatusCode >= 200 {
				final++
			}
		}
		if req.IsAck() && len(tx.resps) > 0 {
			t.Fatalf("ACK was answered: %d", tx.resps[0].StatusCode)
		}
		if !req.IsAck() && final != 1 {
			t.Fatalf("%s got %d final responses", req.Method, final)
		}
	})
}
