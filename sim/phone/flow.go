package phone

import (
	"errors"
	"net"
	"slices"
	"sync"
	"time"
)

// A TCP connection the Agent dialled to its PBX is the flow its phones
// registered over. When it fails (reset by a middlebox, closed by the far
// end) the PBX can no longer reach them through it, so the registered
// phones re-register at once over a new connection, spread over
// a second (RFC 5626 §4.4.1 recovers a failed flow the same way,
// after a backoff). Phones refresh otherwise only at half their expiry.

// After a flow failed, phone i (in number order) re-registers
// flowRecoveryAfter + (i mod 1000) × flowRecoverySpread/1000 later: sipgo
// drops the failed connection from its pool first, and a large
// population does not re-register in one burst.
const (
	flowRecoveryAfter  = 50 * time.Millisecond
	flowRecoverySpread = time.Second
)

// watchFlow calls a.flowLost when a read of c fails other than by the
// connection being closed here.
func (a *Agent) watchFlow(c net.Conn, remote string) net.Conn {
	return &flowConn{Conn: c, lost: func() { a.flowLost(remote) }}
}

// flowConn reports the first failed read of its connection.
type flowConn struct {
	net.Conn
	once sync.Once
	lost func()
}

func (f *flowConn) Read(b []byte) (int, error) {
	n, err := f.Conn.Read(b)
	if err != nil && !errors.Is(err, net.ErrClosed) {
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			f.once.Do(f.lost)
		}
	}
	return n, err
}

// flowLost makes the registered phones re-register soon.
func (a *Agent) flowLost(remote string) {
	if a.ctx.Err() != nil {
		return // closing
	}
	a.mu.Lock()
	phones := make([]*Phone, 0, len(a.phones))
	for _, p := range a.phones {
		phones = append(phones, p)
	}
	a.mu.Unlock()
	slices.SortFunc(phones, func(x, y *Phone) int {
		switch {
		case x.cfg.Number < y.cfg.Number:
			return -1
		case x.cfg.Number > y.cfg.Number:
			return 1
		}
		return 0
	})
	n := 0
	for _, p := range phones {
		if p.isRefreshing() {
			p.scheduleRefresh(flowRecoveryAfter + time.Duration(n%1000)*flowRecoverySpread/1000)
			n++
		}
	}
	if n > 0 {
		a.log.Info("tcp connection lost: phones re-register", "remote", remote, "phones", n)
	}
}

// wrapListener wraps the connections l accepts with wrap (nil: none).
func wrapListener(l net.Listener, wrap func(net.Conn) (net.Conn, error)) net.Listener {
	if wrap == nil || l == nil {
		return l
	}
	return &wrappingListener{Listener: l, wrap: wrap}
}

type wrappingListener struct {
	net.Listener
	wrap func(net.Conn) (net.Conn, error)
}

func (l *wrappingListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		w, err := l.wrap(c)
		if err != nil {
			_ = c.Close()
			continue // refuse this one, keep serving
		}
		return w, nil
	}
}

// isRefreshing reports whether the phone keeps its registration refreshed.
func (p *Phone) isRefreshing() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.refreshing
}
