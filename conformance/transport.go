package conformance

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/emiago/sipgo/sip"
)

// maxDialTries bounds the search for a local port no earlier message used.
const maxDialTries = 64

// conn is one UDP socket or TCP connection carrying one message.
type conn interface {
	LocalAddr() net.Addr
	Close() error
	roundTrip(ctx context.Context, ex *exchange, wantNone bool) Outcome
}

// exchange is one request (or response) being sent and what is needed to
// acknowledge its answer.
type exchange struct {
	data   []byte
	req    *sip.Request // nil when sipgo cannot read data as a request
	callID string
	acked  bool
}

func newExchange(data []byte) *exchange {
	ex := &exchange{data: data}
	if msg, err := sip.NewParser().ParseSIP(data); err == nil {
		if req, ok := msg.(*sip.Request); ok {
			ex.req = req
			if c := req.CallID(); c != nil {
				ex.callID = c.Value()
			}
		}
	}
	return ex
}

// followUp returns what to send after a final response res: for an INVITE,
// the ACK (RFC 3261 §17.1.1.3 for a non-2xx, §13.2.2.4 for a 2xx, with a
// new branch) and, after a 2xx, a BYE that ends the call (best effort: it
// goes to the target, not to the Contact).
func (ex *exchange) followUp(res *sip.Response) [][]byte {
	req := ex.req
	if ex.acked || req == nil || req.Method != sip.INVITE || res.StatusCode < 200 {
		return nil
	}
	if req.Via() == nil || req.From() == nil || req.CallID() == nil || req.CSeq() == nil || res.To() == nil {
		return nil
	}
	if res.CallID() == nil || res.CallID().Value() != ex.callID {
		return nil
	}
	ex.acked = true
	build := func(method sip.RequestMethod, seq uint32, newBranch bool) []byte {
		via := req.Via().Clone()
		if newBranch {
			via.Params.Add("branch", "z9hG4bK-"+randomID())
		}
		r := sip.NewRequest(method, req.Recipient)
		r.AppendHeader(sip.NewHeader("Via", via.Value()))
		r.AppendHeader(sip.NewHeader("Max-Forwards", "70"))
		r.AppendHeader(sip.NewHeader("From", req.From().Value()))
		r.AppendHeader(sip.NewHeader("To", res.To().Value()))
		r.AppendHeader(sip.NewHeader("Call-ID", ex.callID))
		r.AppendHeader(sip.NewHeader("CSeq", fmt.Sprintf("%d %s", seq, method)))
		if method == sip.ACK && !res.IsSuccess() {
			for _, h := range req.GetHeaders("Route") {
				r.AppendHeader(sip.NewHeader("Route", h.Value()))
			}
		}
		r.SetBody(nil)
		return []byte(r.String())
	}
	seq := req.CSeq().SeqNo
	if !res.IsSuccess() {
		return [][]byte{build(sip.ACK, seq, false)}
	}
	return [][]byte{build(sip.ACK, seq, true), build(sip.BYE, seq+1, true)}
}

// udpConn is a connected UDP socket; it stays open until Run ends.
type udpConn struct{ *net.UDPConn }

func (r *runner) dialUDP(ctx context.Context, addr string) (conn, error) {
	var d net.Dialer
	for range maxDialTries {
		c, err := d.DialContext(ctx, "udp", addr)
		if err != nil {
			return nil, fmt.Errorf("dial udp %s: %w", addr, err)
		}
		uc := c.(*net.UDPConn)
		r.ports.hold(uc)
		if r.ports.claim(uc.LocalAddr().(*net.UDPAddr).Port) {
			return udpConn{uc}, nil
		}
	}
	return nil, fmt.Errorf("dial udp %s: no unused local port", addr)
}

// Close leaves the socket to portSet.closeAll.
func (udpConn) Close() error { return nil }

func (c udpConn) roundTrip(ctx context.Context, ex *exchange, wantNone bool) Outcome {
	var out Outcome
	if _, err := c.Write(ex.data); err != nil {
		out.Err = fmt.Sprintf("send: %v", err)
		return out
	}
	deadline, _ := ctx.Deadline()
	buf := make([]byte, 65535)
	for {
		_ = c.SetReadDeadline(deadline)
		n, err := c.Read(buf)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || ctx.Err() != nil {
				return out
			}
			// ICMP port unreachable and the like: keep listening until
			// the deadline, the target may still answer.
			if time.Until(deadline) <= 0 {
				return out
			}
			continue
		}
		res, ok := parseResponse(buf[:n])
		if !ok {
			out.Garbage++
			continue
		}
		out.add(newResponse(res, buf[:n]), ex.callID)
		for _, f := range ex.followUp(res) {
			_, _ = c.Write(f)
		}
		if wantNone || out.Final != nil {
			return out
		}
	}
}

// tcpConn is one TCP connection.
type tcpConn struct{ *net.TCPConn }

func (r *runner) dialTCP(ctx context.Context, addr string) (conn, error) {
	var d net.Dialer
	for range maxDialTries {
		c, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return nil, fmt.Errorf("dial tcp %s: %w", addr, err)
		}
		tc := c.(*net.TCPConn)
		if r.ports.claim(tc.LocalAddr().(*net.TCPAddr).Port) {
			return tcpConn{tc}, nil
		}
		r.ports.hold(tc) // keep it so the port is not handed out again
	}
	return nil, fmt.Errorf("dial tcp %s: no unused local port", addr)
}

func (c tcpConn) roundTrip(ctx context.Context, ex *exchange, wantNone bool) Outcome {
	var out Outcome
	if _, err := c.Write(ex.data); err != nil {
		out.Err = fmt.Sprintf("send: %v", err)
		return out
	}
	deadline, _ := ctx.Deadline()
	stream := sip.NewParser().NewSIPStream()
	buf := make([]byte, 65535)
	for {
		_ = c.SetReadDeadline(deadline)
		n, err := c.Read(buf)
		if n > 0 {
			chunk := buf[:n]
			perr := stream.ParseSIPStream(chunk, func(msg sip.Message) {
				res, ok := msg.(*sip.Response)
				if !ok {
					out.Garbage++
					return
				}
				out.add(newResponse(res, []byte(res.String())), ex.callID)
				for _, f := range ex.followUp(res) {
					_, _ = c.Write(f)
				}
			})
			if perr != nil && !errors.Is(perr, sip.ErrParseSipPartial) {
				out.Garbage++
				return out
			}
			if out.Final != nil && !wantNone || wantNone && len(out.Responses) > 0 {
				return out
			}
		}
		if err != nil {
			// A timeout ends the wait; EOF or a reset means the target
			// closed the connection.
			var ne net.Error
			if !(errors.As(err, &ne) && ne.Timeout()) && ctx.Err() == nil {
				out.Closed = true
			}
			return out
		}
	}
}
