package replay

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/pcapio"
)

// party is one captured address other than the SUT's: the replayer
// speaks for it from one connection to the target.
type party struct {
	id    int
	addr  netip.AddrPort // captured
	proto string         // pcapio.ProtoUDP or ProtoTCP
	sut   netip.AddrPort // the SUT address it spoke to in the capture
	// lastWindow is the last window that used the party; closed: its
	// connection was closed (an idle party beyond Config.MaxParties).
	lastWindow int
	closed     bool

	conn    net.Conn
	local   netip.AddrPort  // the live socket's address
	byCall  map[string]*leg // live Call-ID -> leg
	unbound []*leg          // legs the SUT starts, not yet seen live
	seen    map[uint64]int  // hashes of the live messages already taken (retransmissions) -> window

}

// event is a message (or a read error) from the target.
type event struct {
	party *party
	msg   sip.Message
	raw   []byte
	at    time.Time
	err   error
}

// sender is the one way out: it writes only on connections to the
// target and refuses anything else.
type sender struct{ target netip.AddrPort }

func (s sender) send(c net.Conn, b []byte) error {
	ra, err := netip.ParseAddrPort(c.RemoteAddr().String())
	if err != nil || ra.Addr().Unmap() != s.target.Addr().Unmap() || ra.Port() != s.target.Port() {
		return fmt.Errorf("replay send to %s: %w", c.RemoteAddr(), ErrForbiddenDestination)
	}
	if _, err := c.Write(b); err != nil {
		return fmt.Errorf("replay send: %w", err)
	}
	return nil
}

// resolveTarget turns "host:port" into an address.
func resolveTarget(target string) (netip.AddrPort, error) {
	if target == "" {
		return netip.AddrPort{}, fmt.Errorf("replay: %w", ErrNoTarget)
	}
	if a, err := netip.ParseAddrPort(target); err == nil {
		return netip.AddrPortFrom(a.Addr().Unmap(), a.Port()), nil
	}
	ua, err := net.ResolveUDPAddr("udp", target)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("replay target %q: %w", target, err)
	}
	a := ua.AddrPort()
	return netip.AddrPortFrom(a.Addr().Unmap(), a.Port()), nil
}

// open connects the party to the target.
func (p *party) open(ctx context.Context, n Network, target netip.AddrPort) error {
	network := "udp"
	if p.proto == pcapio.ProtoTCP {
		network = "tcp"
	}
	dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	c, err := n.DialContext(dctx, network, target.String())
	if err != nil {
		return fmt.Errorf("replay connect %s %s: %v: %w", network, target, err, ErrUnreachable)
	}
	p.conn = c
	la, err := netip.ParseAddrPort(c.LocalAddr().String())
	if err != nil {
		return fmt.Errorf("replay local address %s: %w", c.LocalAddr(), err)
	}
	p.local = netip.AddrPortFrom(la.Addr().Unmap(), la.Port())
	return nil
}

// read pushes what the target sends to the party until the connection
// closes or stop closes.
func (p *party) read(out chan<- event, stop <-chan struct{}) {
	push := func(e event) bool {
		select {
		case out <- e:
			return true
		case <-stop:
			return false
		}
	}
	parser := sip.NewParser()
	buf := make([]byte, 65535)
	if p.proto == pcapio.ProtoTCP {
		ps := parser.NewSIPStream()
		defer ps.Close()
		for {
			n, err := p.conn.Read(buf)
			if n > 0 {
				at := time.Now()
				perr := ps.ParseSIPStream(buf[:n], func(m sip.Message) {
					push(event{party: p, msg: m, raw: []byte(m.String()), at: at})
				})
				if perr != nil && !errors.Is(perr, sip.ErrParseSipPartial) {
					ps.Reset()
				}
			}
			if err != nil {
				if !errors.Is(err, net.ErrClosed) {
					push(event{party: p, err: err, at: time.Now()})
				}
				return
			}
		}
	}
	for {
		n, err := p.conn.Read(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) || !push(event{party: p, err: err, at: time.Now()}) {
				return
			}
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				return
			}
			continue // ICMP refusal on a connected UDP socket: reported, keep reading
		}
		raw := append([]byte(nil), buf[:n]...)
		m, perr := parser.ParseSIP(raw)
		if perr != nil {
			continue // keep-alives, garbage
		}
		if !push(event{party: p, msg: m, raw: raw, at: time.Now()}) {
			return
		}
	}
}
