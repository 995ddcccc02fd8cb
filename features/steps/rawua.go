package steps

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/pcapio"
)

// rawUA is a minimal SIP endpoint for the scenarios the simulator cannot
// play: it sends fixture messages byte for byte from its own socket and
// answers what the PBX sends it just enough to keep the PBX's
// transactions clean (180 to an INVITE, 200 and 487 to a CANCEL, 200 to
// anything else). Messages are parsed with sipgo, never by hand.
type rawUA struct {
	transport string // "udp" or "tcp"
	pbx       netip.AddrPort
	local     netip.AddrPort
	pc        net.PacketConn // udp
	conn      net.Conn       // tcp
	log       *slog.Logger

	mu      sync.Mutex
	waiters map[string]chan *sip.Response // client transactions by Via branch
	invites []*rawInvite
	changed chan struct{} // closed and replaced whenever invites change
	closed  bool
	writeMu sync.Mutex
	wg      sync.WaitGroup
}

// rawInvite is an INVITE the PBX sent to the rawUA.
type rawInvite struct {
	req       *sip.Request
	from      netip.AddrPort // where it came from
	at        netip.AddrPort // the local address it reached
	ringing   *sip.Response  // our 180 (resent on retransmissions)
	final     *sip.Response  // our final response (487 after a CANCEL, or a decline)
	cancel    *sip.Request   // the CANCEL, if any
	cancelled bool
	acked     bool // the final response was acknowledged
}

// newRawUA opens a socket on the address routing to the PBX (UDP, or a
// TCP connection to it), tapped into the scenario capture.
func newRawUA(ep Endpoint, w *pcapio.Writer, log *slog.Logger) (*rawUA, error) {
	u := &rawUA{transport: ep.Transport, pbx: ep.Addr, log: log, waiters: map[string]chan *sip.Response{}, changed: make(chan struct{})}
	switch ep.Transport {
	case "tcp":
		c, err := net.DialTimeout("tcp", ep.Addr.String(), 5*time.Second)
		if err != nil {
			return nil, fmt.Errorf("open raw endpoint: %w", err)
		}
		u.conn = pcapio.WrapConn(c, w)
		u.local = addrPort(c.LocalAddr())
		u.wg.Go(u.readTCP)
	default:
		probe, err := net.Dial("udp", ep.Addr.String())
		if err != nil {
			return nil, fmt.Errorf("open raw endpoint: %w", err)
		}
		ip := addrPort(probe.LocalAddr()).Addr()
		_ = probe.Close()
		pc, err := net.ListenPacket("udp", netip.AddrPortFrom(ip, 0).String())
		if err != nil {
			return nil, fmt.Errorf("open raw endpoint: %w", err)
		}
		u.pc = pcapio.WrapPacketConn(pc, w)
		u.local = addrPort(pc.LocalAddr())
		u.wg.Go(u.readUDP)
	}
	return u, nil
}

func addrPort(a net.Addr) netip.AddrPort {
	ap, _ := netip.ParseAddrPort(a.String())
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

// Local is the socket's own address (what the PBX sees as the source).
func (u *rawUA) Local() netip.AddrPort { return u.local }

// Close closes the socket and waits for the reader.
func (u *rawUA) Close() error {
	u.mu.Lock()
	u.closed = true
	u.mu.Unlock()
	var err error
	if u.pc != nil {
		err = u.pc.Close()
	} else {
		err = u.conn.Close()
	}
	u.wg.Wait()
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

func (u *rawUA) readUDP() {
	buf := make([]byte, 65535)
	for {
		n, from, err := u.pc.ReadFrom(buf)
		if err != nil {
			return
		}
		u.handle(buf[:n], addrPort(from))
	}
}

func (u *rawUA) readTCP() {
	ps := sip.NewParser().NewSIPStream()
	defer ps.Close()
	buf := make([]byte, 65535)
	from := addrPort(u.conn.RemoteAddr())
	for {
		n, err := u.conn.Read(buf)
		if err != nil {
			return
		}
		perr := ps.ParseSIPStream(buf[:n], func(m sip.Message) { u.dispatch(m, from) })
		if perr != nil && !errors.Is(perr, sip.ErrParseSipPartial) {
			u.log.Debug("raw endpoint: unparsable tcp data", "error", perr)
			ps.Reset()
		}
	}
}

// handle takes one datagram from the network.
func (u *rawUA) handle(data []byte, from netip.AddrPort) {
	if len(strings.TrimSpace(string(data))) == 0 {
		return // keep-alive
	}
	m, err := sip.ParseMessage(data)
	if err != nil {
		u.log.Debug("raw endpoint: unparsable datagram", "from", from, "error", err)
		return
	}
	u.dispatch(m, from)
}

func (u *rawUA) dispatch(m sip.Message, from netip.AddrPort) {
	switch m := m.(type) {
	case *sip.Response:
		u.onResponse(m)
	case *sip.Request:
		u.onRequest(m, from)
	}
}

func branchOf(m sip.Message) string {
	var via *sip.ViaHeader
	switch m := m.(type) {
	case *sip.Request:
		via = m.Via()
	case *sip.Response:
		via = m.Via()
	}
	if via == nil {
		return ""
	}
	b, _ := via.Params.Get("branch")
	return b
}

func (u *rawUA) onResponse(res *sip.Response) {
	u.mu.Lock()
	ch := u.waiters[branchOf(res)]
	u.mu.Unlock()
	if ch == nil {
		return
	}
	select {
	case ch <- res:
	default: // a retransmission nobody waits for
	}
}

func (u *rawUA) onRequest(req *sip.Request, from netip.AddrPort) {
	branch := branchOf(req)
	if branch == "" || req.From() == nil || req.To() == nil || req.CallID() == nil || req.CSeq() == nil {
		u.log.Debug("raw endpoint: request without the mandatory headers dropped", "from", from, "method", req.Method)
		return // RFC 3261 §8.1.1: the PBX always sends these
	}
	switch req.Method {
	case sip.INVITE:
		u.mu.Lock()
		inv := u.findInvite(branch)
		if inv == nil {
			inv = &rawInvite{req: req, from: from, at: u.local}
			inv.ringing = sip.NewResponseFromRequest(req, 180, "Ringing", nil)
			inv.ringing.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: req.Recipient.User, Host: u.local.Addr().String(), Port: int(u.local.Port())}})
			u.invites = append(u.invites, inv)
			u.notifyLocked()
		}
		res := inv.ringing
		if inv.final != nil {
			res = inv.final
		}
		u.mu.Unlock()
		u.write(res.String(), from)
	case sip.CANCEL:
		u.mu.Lock()
		inv := u.findInvite(branch)
		var final *sip.Response
		if inv != nil && !inv.cancelled && inv.final == nil {
			inv.cancelled, inv.cancel = true, req
			// 487 carries the To tag of our 180 (RFC 3261 §9.2).
			inv.final = sip.NewResponseFromRequest(inv.req, 487, "Request Terminated", nil)
			if to, t := inv.final.To(), inv.ringing.To(); to != nil && t != nil {
				tag, _ := t.Params.Get("tag")
				to.Params.Remove("tag")
				to.Params.Add("tag", tag)
			}
			final = inv.final
			u.notifyLocked()
		}
		u.mu.Unlock()
		code, reason := 200, "OK"
		if inv == nil {
			code, reason = 481, "Call/Transaction Does Not Exist"
		}
		u.write(sip.NewResponseFromRequest(req, code, reason, nil).String(), from)
		if final != nil {
			u.write(final.String(), from)
		}
	case sip.ACK:
		// ACK of our final response ends the INVITE server transaction
		// (RFC 3261 §17.2.1).
		u.mu.Lock()
		if inv := u.findInvite(branch); inv != nil && !inv.acked {
			inv.acked = true
			u.notifyLocked()
		}
		u.mu.Unlock()
	default:
		u.write(sip.NewResponseFromRequest(req, 200, "OK", nil).String(), from)
	}
}

// findInvite returns the INVITE with this branch. Call with mu held.
func (u *rawUA) findInvite(branch string) *rawInvite {
	for _, inv := range u.invites {
		if branchOf(inv.req) == branch {
			return inv
		}
	}
	return nil
}

func (u *rawUA) notifyLocked() {
	close(u.changed)
	u.changed = make(chan struct{})
}

// Invites returns the INVITEs received so far and a channel closed at the
// next change.
func (u *rawUA) Invites() ([]rawInvite, <-chan struct{}) {
	u.mu.Lock()
	defer u.mu.Unlock()
	out := make([]rawInvite, 0, len(u.invites))
	for _, inv := range u.invites {
		out = append(out, *inv)
	}
	return out, u.changed
}

// write sends one message: to addr on UDP, on the connection on TCP.
func (u *rawUA) write(msg string, to netip.AddrPort) {
	u.writeMu.Lock()
	defer u.writeMu.Unlock()
	var err error
	if u.pc != nil {
		_, err = u.pc.WriteTo([]byte(msg), net.UDPAddrFromAddrPort(to))
	} else {
		_, err = u.conn.Write([]byte(msg))
	}
	if err != nil {
		u.log.Debug("raw endpoint: write failed", "to", to, "error", err)
	}
}

// decline answers the last INVITE with a final status and retransmits it
// until the PBX acknowledges it (RFC 3261 §17.2.1 timer G, T1 = 500 ms).
func (u *rawUA) decline(ctx context.Context, code int, reason string) error {
	u.mu.Lock()
	if len(u.invites) == 0 {
		u.mu.Unlock()
		return fmt.Errorf("decline: %w: no INVITE received", ErrUsage)
	}
	inv := u.invites[len(u.invites)-1]
	if inv.final != nil {
		u.mu.Unlock()
		return fmt.Errorf("decline: %w: INVITE already answered %d", ErrExpectation, inv.final.StatusCode)
	}
	inv.final = sip.NewResponseFromRequest(inv.req, code, reason, nil)
	if to, t := inv.final.To(), inv.ringing.To(); to != nil && t != nil {
		tag, _ := t.Params.Get("tag")
		to.Params.Remove("tag")
		to.Params.Add("tag", tag)
	}
	final, from := inv.final.String(), inv.from
	u.notifyLocked()
	u.mu.Unlock()
	interval := 500 * time.Millisecond
	u.write(final, from)
	for {
		_, changed := u.Invites()
		u.mu.Lock()
		acked := inv.acked
		u.mu.Unlock()
		if acked {
			return nil
		}
		t := time.NewTimer(interval)
		select {
		case <-changed: // re-check for the ACK; retransmit only on timer G
		case <-t.C:
			u.write(final, from)
			interval = min(2*interval, 4*time.Second)
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("decline: %w: no ACK for %d: %w", ErrExpectation, code, ctx.Err())
		}
		t.Stop()
	}
}

// rawResult is what a request sent by the rawUA got back.
type rawResult struct {
	Provisional []*sip.Response
	Final       *sip.Response
}

// transact sends wire (req parsed from it) to the PBX and waits for the
// final response, retransmitting over UDP with RFC 3261 §17.1.1.2 timer
// A/E doubling from T1 = 500 ms. A non-2xx final response to an INVITE is
// acknowledged (RFC 3261 §17.1.1.3).
func (u *rawUA) transact(ctx context.Context, wire []byte, req *sip.Request) (rawResult, error) {
	branch := branchOf(req)
	ch := make(chan *sip.Response, 16)
	u.mu.Lock()
	if u.closed {
		u.mu.Unlock()
		return rawResult{}, fmt.Errorf("send %s: raw endpoint closed", req.Method)
	}
	u.waiters[branch] = ch
	u.mu.Unlock()
	defer func() {
		u.mu.Lock()
		delete(u.waiters, branch)
		u.mu.Unlock()
	}()

	var out rawResult
	u.write(string(wire), u.pbx)
	interval := 500 * time.Millisecond
	retransmit := time.NewTimer(interval)
	defer retransmit.Stop()
	for {
		select {
		case res := <-ch:
			if res.StatusCode < 200 {
				out.Provisional = append(out.Provisional, res)
				retransmit.Stop()
				continue
			}
			out.Final = res
			if req.Method == sip.INVITE && res.StatusCode >= 300 {
				if err := u.ack(req, res); err != nil {
					return out, err
				}
			}
			return out, nil
		case <-retransmit.C:
			if u.pc != nil && len(out.Provisional) == 0 {
				u.write(string(wire), u.pbx)
				interval = min(2*interval, 4*time.Second)
				retransmit.Reset(interval)
			}
		case <-ctx.Done():
			return out, fmt.Errorf("send %s: no final response: %w", req.Method, ctx.Err())
		}
	}
}

// ack acknowledges a non-2xx final response in the INVITE's transaction.
func (u *rawUA) ack(inv *sip.Request, res *sip.Response) error {
	if res.To() == nil {
		return fmt.Errorf("ack %d: %w: response without To", res.StatusCode, ErrExpectation)
	}
	d := fixtureData{
		RequestURI: inv.Recipient.String(),
		Via:        inv.Via().Value(),
		From:       inv.From().Value(),
		To:         res.To().Value(),
		CallID:     inv.CallID().Value(),
		CSeq:       inv.CSeq().SeqNo,
	}
	wire, _, err := render("ack.sip", d)
	if err != nil {
		return err
	}
	u.write(string(wire), u.pbx)
	return nil
}
