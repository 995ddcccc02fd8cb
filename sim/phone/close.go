package phone

import (
	"errors"
	"fmt"
	"net"
	"time"
)

// Close stops every phone's timers, drops every call (without signalling:
// hang up first for a clean end), closes the sockets and waits for the
// Agent's goroutines. It is idempotent.
func (a *Agent) Close() error {
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return nil
	}
	a.closed = true
	phones := make([]*Phone, 0, len(a.phones))
	for _, p := range a.phones {
		phones = append(phones, p)
	}
	calls := make([]*Call, 0, len(a.calls))
	for _, c := range a.calls {
		calls = append(calls, c)
	}
	a.mu.Unlock()

	for _, p := range phones {
		p.stopRefresh()
	}
	a.cancel()
	for _, c := range calls {
		c.finish(End{By: Local, Reason: ReasonClosed})
	}
	// Stop handing datagrams to sipgo, the socket still open and in its
	// pool (quietConn), and end every transaction (a retransmission after
	// the socket closed would make sipgo open a socket of its own). Give
	// the messages already read a moment to be answered through the socket,
	// then close it.
	a.quiet.silence()
	a.ua.TransactionLayer().Close()
	time.Sleep(closeGrace)
	a.closeSockets()
	a.served.Wait()
	err := a.ua.Close()
	a.pool.Close()
	a.wg.Wait()
	if err != nil && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("close agent %s: %w", a.addr, err)
	}
	return nil
}

func (a *Agent) closeSockets() {
	if a.udp != nil {
		_ = a.udp.Close()
	}
	if a.tcp != nil {
		_ = a.tcp.Close()
	}
	if a.dialer != nil {
		_ = a.dialer.Close()
	}
}

// dialogKey identifies a call on this Agent: Call-ID plus our own tag
// (From tag of our INVITEs, To tag of the INVITEs we answer). Two phones on
// the same Agent calling each other share a Call-ID but not a local tag.
