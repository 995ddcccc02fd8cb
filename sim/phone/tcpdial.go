package phone

import (
	"context"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/pcapio"
)

// sipgo v1.7.3 dials its own TCP connections and offers no hook to wrap
// them, so with a capture writer or Config.WrapTCP the Agent dials them itself, wraps them
// with pcapio.WrapConn and hands them to sipgo through a listener whose
// Accept returns those connections: sipgo then pools and reads them as if
// they had been accepted, and reuses them for requests to that address.

// dialListener is a net.Listener fed with connections the Agent dialled.
type dialListener struct {
	addr   net.Addr
	conns  chan net.Conn
	closed chan struct{}
	once   sync.Once
}

func newDialListener(addr net.Addr) *dialListener {
	return &dialListener{addr: addr, conns: make(chan net.Conn), closed: make(chan struct{})}
}

// Accept returns the next dialled connection.
func (l *dialListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

// Close stops Accept.
func (l *dialListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

// Addr is the Agent's listening address.
func (l *dialListener) Addr() net.Addr { return l.addr }

// dialTimeout bounds connecting to a peer over TCP.
const dialTimeout = 5 * time.Second

// prepare readies a request we are about to send: UDP requests leave from
// the listening socket; TCP requests, when capturing, get a recorded
// connection to their destination first.
func (a *Agent) prepare(ctx context.Context, req *sip.Request) error {
	a.withLocalAddr(req)
	if a.dialer == nil {
		return nil
	}
	return a.ensureConn(ctx, req.Destination())
}

// ensureConn dials dest (host:port) unless sipgo already has a connection to it.
func (a *Agent) ensureConn(ctx context.Context, dest string) error {
	raddr, err := net.ResolveTCPAddr("tcp", dest)
	if err != nil {
		return fmt.Errorf("resolve %s: %w", dest, err)
	}
	key := raddr.String()
	pool := a.ua.TransportLayer().Pool(TCP)
	a.dialMu.Lock()
	defer a.dialMu.Unlock()
	if pool.Size() > 0 {
		if c := pool.Get(key); c != nil {
			_, _ = c.TryClose() // undo Get's reference
			return nil
		}
	}
	d := net.Dialer{Timeout: dialTimeout, LocalAddr: &net.TCPAddr{IP: a.addr.Addr().AsSlice()}}
	conn, err := d.DialContext(ctx, "tcp", key)
	if err != nil {
		return fmt.Errorf("dial tcp %s: %w", key, err)
	}
	c := conn
	if w := a.cfg.WrapTCP; w != nil {
		if c, err = w(conn); err != nil {
			_ = conn.Close()
			return fmt.Errorf("dial tcp %s: %w", key, err)
		}
	}
	// outermost, so that it sees what the wrapper makes of the connection
	c = a.watchFlow(c, key)
	select {
	case a.dialer.conns <- pcapio.WrapConn(c, a.capture):
	case <-ctx.Done():
		_ = conn.Close()
		return ctx.Err()
	case <-a.ctx.Done():
		_ = conn.Close()
		return ErrClosed
	}
	for i := 0; ; i++ { // sipgo pools it on its serving goroutine
		if c := pool.Get(key); c != nil {
			_, _ = c.TryClose()
			return nil
		}
		if i > 1000 {
			return fmt.Errorf("dial tcp %s: connection not pooled", key)
		}
		time.Sleep(time.Millisecond)
	}
}

// SendRaw writes b as is to dest (host:port) over the Agent's transport:
// from the listening socket on UDP, on the connection sipgo holds to dest
// on TCP (ErrNoConnection without one). It is for tests that send what no
// SIP stack would (a carrier answering garbage).
func (a *Agent) SendRaw(dest string, b []byte) error {
	if a.udp != nil {
		addr, err := net.ResolveUDPAddr("udp", dest)
		if err != nil {
			return fmt.Errorf("send raw to %s: %w", dest, err)
		}
		if _, err := a.udp.WriteTo(b, addr); err != nil {
			return fmt.Errorf("send raw to %s: %w", dest, err)
		}
		return nil
	}
	raddr, err := net.ResolveTCPAddr("tcp", dest)
	if err != nil {
		return fmt.Errorf("send raw to %s: %w", dest, err)
	}
	c := a.ua.TransportLayer().Pool(TCP).Get(raddr.String())
	if c == nil {
		return fmt.Errorf("send raw to %s: %w", dest, ErrNoConnection)
	}
	defer func() { _, _ = c.TryClose() }() // undo Get's reference
	w, ok := c.(io.Writer)
	if !ok {
		return fmt.Errorf("send raw to %s: %w", dest, ErrNoConnection)
	}
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("send raw to %s: %w", dest, err)
	}
	return nil
}
