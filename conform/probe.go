package conform

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/emiago/sipgo/sip"
)

// DefaultProbeTimeout bounds the OPTIONS probe.
const DefaultProbeTimeout = 4 * time.Second

// ProbeResult is what the target did with an OPTIONS.
type ProbeResult struct {
	// Transport and Addr are where the probe went.
	Transport, Addr string
	// Status and Reason are those of the first final response (0 if none).
	Status int
	Reason string
	// Server is the response's Server or User-Agent header, if any.
	Server string
	// Garbage holds the start of the first datagram or stream bytes that
	// were not a SIP response ("" if none came).
	Garbage string
	// RTT is the time from the first send to the response.
	RTT time.Duration
	// Err is nil when a SIP response came, else wraps ErrNoAnswer or
	// ErrGarbage (or a dial error) and says what happened.
	Err error
}

// String describes the result in one line.
func (r ProbeResult) String() string {
	if r.Err != nil {
		return r.Err.Error()
	}
	s := fmt.Sprintf("OPTIONS over %s to %s answered %d %s in %s", r.Transport, r.Addr, r.Status, r.Reason, r.RTT.Round(time.Millisecond))
	if r.Server != "" {
		s += " (" + r.Server + ")"
	}
	return s
}

// Probe sends an OPTIONS to addr over transport ("udp", "tcp") and waits,
// at most timeout, for any SIP response: a target that answers anything
// (200, 401, 404, 405…) is alive. Over UDP the request is retransmitted
// (RFC 3261 Timer E: 500 ms doubling). No response at all gives
// ErrNoAnswer; only bytes that are not a SIP response give ErrGarbage.
func Probe(ctx context.Context, transport, addr string, timeout time.Duration) ProbeResult {
	res := ProbeResult{Transport: transport, Addr: addr}
	if timeout <= 0 {
		timeout = DefaultProbeTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, transport, addr)
	if err != nil {
		res.Err = fmt.Errorf("probe %s over %s: %w: %w", addr, transport, ErrNoAnswer, err)
		return res
	}
	defer c.Close()
	go func() { // unblock reads when ctx ends
		<-ctx.Done()
		_ = c.SetDeadline(time.Now())
	}()
	data := optionsRequest(transport, addr, c.LocalAddr().String())
	start := time.Now()
	var got *sip.Response
	var lastErr error
	if transport == "tcp" {
		got, lastErr = probeStream(c, data, &res)
	} else {
		got, lastErr = probeDatagrams(ctx, c, data, &res)
	}
	switch {
	case got != nil:
		res.RTT = time.Since(start)
		res.Status, res.Reason = got.StatusCode, got.Reason
		for _, h := range []string{"Server", "User-Agent"} {
			if v := got.GetHeader(h); v != nil && res.Server == "" {
				res.Server = v.Value()
			}
		}
	case res.Garbage != "":
		res.Err = fmt.Errorf("probe %s over %s: %w: it answered %q", addr, transport, ErrGarbage, res.Garbage)
	default:
		detail := fmt.Sprintf("no response to OPTIONS within %s", timeout)
		if lastErr != nil && !errors.Is(lastErr, context.DeadlineExceeded) && !isTimeout(lastErr) {
			detail += " (last error: " + lastErr.Error() + ")"
		}
		res.Err = fmt.Errorf("probe %s over %s: %w: %s", addr, transport, ErrNoAnswer, detail)
	}
	return res
}

// probeDatagrams sends data, retransmitting it, until a SIP response
// arrives or ctx ends.
func probeDatagrams(ctx context.Context, c net.Conn, data []byte, res *ProbeResult) (*sip.Response, error) {
	buf := make([]byte, 65535)
	interval := 500 * time.Millisecond
	var lastErr error
	for ctx.Err() == nil {
		if _, err := c.Write(data); err != nil {
			lastErr = err
		}
		_ = c.SetReadDeadline(time.Now().Add(interval))
		for {
			n, err := c.Read(buf)
			if err != nil {
				if !isTimeout(err) {
					lastErr = err // e.g. ICMP port unreachable: wait for the next retransmission
					select {
					case <-time.After(min(interval, 100*time.Millisecond)):
					case <-ctx.Done():
					}
				}
				break
			}
			if r := judgeDatagram(res, buf[:n]); r != nil {
				return r, nil
			}
		}
		interval = min(2*interval, 4*time.Second)
	}
	return nil, lastErr
}

// probeStream writes data on the connection and reads until a SIP
// response arrives, the connection closes or the deadline passes.
func probeStream(c net.Conn, data []byte, res *ProbeResult) (*sip.Response, error) {
	if _, err := c.Write(data); err != nil {
		return nil, err
	}
	stream := sip.NewParser().NewSIPStream()
	defer stream.Close()
	buf := make([]byte, 65535)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			got, perr := judgeStream(res, stream, buf[:n])
			if got != nil || perr != nil {
				return got, perr
			}
		}
		if err != nil {
			return nil, err
		}
	}
}

// judgeDatagram returns the SIP response in b (sipgo's parser), or notes b
// as garbage and returns nil.
func judgeDatagram(res *ProbeResult, b []byte) *sip.Response {
	m, err := sip.NewParser().ParseSIP(b)
	if r, ok := m.(*sip.Response); err == nil && ok {
		return r
	}
	noteGarbage(res, b)
	return nil
}

// judgeStream feeds b to the stream parser: the first SIP response in it,
// or a parse error (after noting b as garbage) when the stream is not SIP;
// nil, nil when more bytes are needed.
func judgeStream(res *ProbeResult, stream *sip.ParserStream, b []byte) (*sip.Response, error) {
	var got *sip.Response
	perr := stream.ParseSIPStream(b, func(m sip.Message) {
		if r, ok := m.(*sip.Response); ok && got == nil {
			got = r
		}
	})
	switch {
	case got != nil:
		return got, nil
	case perr != nil && !errors.Is(perr, sip.ErrParseSipPartial):
		noteGarbage(res, b)
		return nil, perr
	}
	return nil, nil
}

func noteGarbage(res *ProbeResult, b []byte) {
	if res.Garbage != "" {
		return
	}
	if len(b) > 60 {
		b = b[:60]
	}
	res.Garbage = string(b)
	if res.Garbage == "" {
		res.Garbage = "(empty)"
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// optionsRequest builds the probe with sipgo: an OPTIONS to the target's
// address from a local sent-by, rport asked (RFC 3581).
func optionsRequest(transport, addr, local string) []byte {
	id := randomHex()
	host, port, _ := net.SplitHostPort(addr)
	p, _ := strconv.Atoi(port)
	req := sip.NewRequest(sip.OPTIONS, sip.Uri{Scheme: "sip", User: "pbxlab-conform", Host: host, Port: p})
	tr := "UDP"
	if transport == "tcp" {
		tr = "TCP"
	}
	req.AppendHeader(sip.NewHeader("Via", "SIP/2.0/"+tr+" "+local+";rport;branch=z9hG4bK-"+id))
	req.AppendHeader(sip.NewHeader("Max-Forwards", "70"))
	req.AppendHeader(sip.NewHeader("From", "<sip:pbxlab-conform@"+local+">;tag="+id))
	req.AppendHeader(sip.NewHeader("To", "<sip:pbxlab-conform@"+addr+">"))
	req.AppendHeader(sip.NewHeader("Call-ID", id+"@pbxlab-conform"))
	req.AppendHeader(sip.NewHeader("CSeq", "1 OPTIONS"))
	req.AppendHeader(sip.NewHeader("Accept", "application/sdp"))
	req.AppendHeader(sip.NewHeader("User-Agent", "pbxlab-conform"))
	req.SetBody(nil)
	return []byte(req.String())
}

func randomHex() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
