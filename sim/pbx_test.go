package sim

import (
	"context"
	"maps"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// fakePBX is a minimal registrar and forwarding proxy for tests: REGISTER
// binds a contact, an INVITE is forwarded to the callee's contact and its
// responses relayed back, CANCEL is propagated. It adds no Record-Route, so
// ACK and BYE go straight between the phones.
type fakePBX struct {
	addr   string
	client *sipgo.Client

	mu       sync.Mutex
	contacts map[string]sip.Uri
	invites  int
	// from counts the REGISTERs by contact host:port (the sending socket)
	from map[string]int
}

func newFakePBX(t *testing.T) *fakePBX {
	t.Helper()
	return newFakePBXOn(t, net.ListenPacket)
}

// newFakePBXOn is newFakePBX with its socket opened by listen (an
// in-memory network's, in virtual time).
func newFakePBXOn(t *testing.T, listen func(network, address string) (net.PacketConn, error)) *fakePBX {
	t.Helper()
	ua, err := sipgo.NewUA()
	if err != nil {
		t.Fatal(err)
	}
	pc, err := listen("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &fakePBX{addr: pc.LocalAddr().String(), contacts: map[string]sip.Uri{}, from: map[string]int{}}
	if p.client, err = sipgo.NewClient(ua, sipgo.WithClientConnectionAddr(p.addr)); err != nil {
		t.Fatal(err)
	}
	srv, err := sipgo.NewServer(ua)
	if err != nil {
		t.Fatal(err)
	}
	srv.OnRegister(p.onRegister)
	srv.OnInvite(p.onInvite)
	srv.OnAck(func(*sip.Request, sip.ServerTransaction) {})
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.ServeUDP(pc)
	}()
	for ua.TransportLayer().Pool("udp").Size() == 0 {
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

func (p *fakePBX) bindings() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.contacts)
}

// sources returns how many REGISTERs came from each contact host:port.
func (p *fakePBX) sources() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return maps.Clone(p.from)
}

func (p *fakePBX) onRegister(req *sip.Request, tx sip.ServerTransaction) {
	user := req.To().Address.User
	expires := 0
	if h := req.GetHeader("Expires"); h != nil {
		expires, _ = strconv.Atoi(h.Value())
	}
	p.mu.Lock()
	if c := req.Contact(); c != nil {
		p.from[c.Address.HostPort()]++
	}
	if expires == 0 {
		delete(p.contacts, user)
	} else {
		p.contacts[user] = req.Contact().Address
	}
	p.mu.Unlock()
	res := sip.NewResponseFromRequest(req, 200, "OK", nil)
	if expires > 0 {
		c := req.Contact().Clone()
		c.Params = sip.NewParams()
		c.Params.Add("expires", strconv.Itoa(expires))
		res.AppendHeader(c)
	}
	_ = tx.Respond(res)
}

func (p *fakePBX) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	p.mu.Lock()
	contact, ok := p.contacts[req.Recipient.User]
	p.invites++
	p.mu.Unlock()
	if !ok {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 404, "Not Found", nil))
		return
	}
	fwd := req.Clone()
	fwd.Recipient = *contact.Clone()
	fwd.SetDestination(contact.HostPort())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	down, err := p.client.TransactionRequest(ctx, fwd, sipgo.ClientRequestDecreaseMaxForward, sipgo.ClientRequestAddVia, sipgo.ClientRequestBuild)
	if err != nil {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 503, "Service Unavailable", nil))
		return
	}
	defer down.Terminate()
	cancelled := make(chan struct{})
	var once sync.Once
	tx.OnCancel(func(*sip.Request) { once.Do(func() { close(cancelled) }) })
	for {
		select {
		case res := <-down.Responses():
			if res.StatusCode == 100 {
				continue
			}
			up := sip.NewResponseFromRequest(req, res.StatusCode, res.Reason, res.Body())
			up.ReplaceHeader(sip.HeaderClone(res.To()))
			for _, name := range []string{"Contact", "Content-Type"} {
				if h := res.GetHeader(name); h != nil {
					up.AppendHeader(sip.HeaderClone(h))
				}
			}
			_ = tx.Respond(up)
			if res.StatusCode >= 200 {
				return
			}
		case <-cancelled:
			cancelled = nil
			c := sip.NewRequest(sip.CANCEL, fwd.Recipient)
			c.AppendHeader(sip.HeaderClone(fwd.Via()))
			c.AppendHeader(sip.HeaderClone(fwd.From()))
			c.AppendHeader(sip.HeaderClone(fwd.To()))
			c.AppendHeader(sip.HeaderClone(fwd.CallID()))
			c.AppendHeader(&sip.CSeqHeader{SeqNo: fwd.CSeq().SeqNo, MethodName: sip.CANCEL})
			c.SetDestination(fwd.Destination())
			go func() {
				cctx, ccancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer ccancel()
				_, _ = p.client.Do(cctx, c)
			}()
		case <-down.Done():
			_ = tx.Respond(sip.NewResponseFromRequest(req, 408, "Request Timeout", nil))
			return
		}
	}
}
