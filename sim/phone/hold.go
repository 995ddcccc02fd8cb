package phone

import (
	"context"
	"fmt"
	"net/netip"
	"regexp"
	"strconv"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/sdpneg"
)

// HoldMode is how a phone puts a call on hold in its re-INVITE's SDP.
type HoldMode int

// Hold modes.
const (
	// HoldSendOnly offers a=sendonly (RFC 3264 §8.4): the usual hold.
	HoldSendOnly HoldMode = iota + 1
	// HoldInactive offers a=inactive.
	HoldInactive
	// HoldZeroAddr offers c=0.0.0.0 (RFC 2543 hold, older phones).
	HoldZeroAddr
)

// Hold puts an answered call on hold with a re-INVITE offering
// a=sendonly (see HoldWith). The phone keeps sending its identity, as
// sendonly allows; the far end is expected to hear the PBX's music on hold
// instead.
func (c *Call) Hold(ctx context.Context) error { return c.HoldWith(ctx, HoldSendOnly) }

// HoldWith puts an answered call on hold with a re-INVITE whose offer says
// so in the way mode tells, and waits for its final response (nil error
// for a 2xx, then ACKed; a *StatusError otherwise).
func (c *Call) HoldWith(ctx context.Context, mode HoldMode) error {
	c.mu.Lock()
	local := c.localSDP
	c.mu.Unlock()
	var body []byte
	switch mode {
	case HoldSendOnly:
		body = withDirection(local, sdpneg.SendOnly)
	case HoldInactive:
		body = withDirection(local, sdpneg.Inactive)
	case HoldZeroAddr:
		body = zeroAddr(local)
	default:
		return fmt.Errorf("hold call %s: %w: mode %d", c.callID, ErrCallState, mode)
	}
	return c.reinvite(ctx, "hold", body)
}

// Resume takes the call off hold: a re-INVITE offering a=sendrecv again.
func (c *Call) Resume(ctx context.Context) error {
	c.mu.Lock()
	local := c.localSDP
	c.mu.Unlock()
	body := withDirection(local, sdpneg.SendRecv)
	if c.media != nil { // back from a c=0.0.0.0 hold: our address again
		body = withAddr(body, c.media.local().Addr())
	}
	return c.reinvite(ctx, "resume", body)
}

// reinvite sends a re-INVITE with body in the call's dialog, ACKs its 2xx
// and follows the answer's address; the new SDP (its version raised)
// becomes the phone's own.
func (c *Call) reinvite(ctx context.Context, what string, body []byte) error {
	if c.State() != Answered {
		return fmt.Errorf("%s call %s: %w: %s", what, c.callID, ErrCallState, c.State())
	}
	body = nextVersion(body)
	var (
		res *sip.Response
		err error
	)
	if c.dir == Outgoing {
		res, err = c.uacReinvite(ctx, body)
	} else {
		res, err = c.uasReinvite(ctx, body)
	}
	if err != nil {
		return fmt.Errorf("%s call %s: %w", what, c.callID, err)
	}
	if !res.IsSuccess() {
		return fmt.Errorf("%s call %s: %w", what, c.callID, &StatusError{Method: "INVITE", Code: res.StatusCode, Reason: res.Reason})
	}
	c.mu.Lock()
	c.localSDP = body
	c.mu.Unlock()
	if s, err := sdpneg.Parse(res.Body()); err == nil && s.Addr.IsValid() && c.media != nil {
		c.media.stream.SetRemote(s.Addr)
	}
	return nil
}

// uacReinvite sends the re-INVITE of an outgoing call and ACKs its 2xx.
func (c *Call) uacReinvite(ctx context.Context, body []byte) (*sip.Response, error) {
	return c.uacReinviteWith(ctx, body, nil)
}

// uacReinviteWith is uacReinvite with extra headers.
func (c *Call) uacReinviteWith(ctx context.Context, body []byte, hdrs []sip.Header) (*sip.Response, error) {
	c.mu.Lock()
	d := c.uac
	if d == nil {
		c.mu.Unlock()
		return nil, fmt.Errorf("re-INVITE: %w: no dialog", ErrCallState)
	}
	d.cseq++
	req := c.inDialog(d, sip.INVITE, d.cseq)
	c.mu.Unlock()
	contact := c.phone.contactHeader()
	req.AppendHeader(&contact)
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	for _, h := range hdrs {
		req.AppendHeader(h)
	}
	req.SetBody(body)
	res, err := c.agent.do(ctx, req)
	if err != nil || !res.IsSuccess() {
		return res, err
	}
	c.mu.Lock()
	ack := c.inDialog(d, sip.ACK, req.CSeq().SeqNo)
	c.mu.Unlock()
	if err := c.agent.prepare(ctx, ack); err != nil {
		return res, fmt.Errorf("ack re-INVITE: %w", err)
	}
	if err := c.agent.client.WriteRequest(ack); err != nil {
		return res, fmt.Errorf("ack re-INVITE: %w", err)
	}
	return res, nil
}

// uasReinvite sends the re-INVITE of an incoming call (to the caller's
// Contact, through sipgo's server dialog) and ACKs its 2xx.
func (c *Call) uasReinvite(ctx context.Context, body []byte) (*sip.Response, error) {
	return c.uasReinviteWith(ctx, body, nil)
}

// uasReinviteWith is uasReinvite with extra headers.
func (c *Call) uasReinviteWith(ctx context.Context, body []byte, hdrs []sip.Header) (*sip.Response, error) {
	inv := c.dss.InviteRequest
	target := inv.Recipient
	if ct := inv.Contact(); ct != nil {
		target = ct.Address
	}
	req := sip.NewRequest(sip.INVITE, *target.Clone())
	req.SetTransport(inv.Transport())
	contact := c.phone.contactHeader()
	req.AppendHeader(&contact)
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	for _, h := range hdrs {
		req.AppendHeader(h)
	}
	req.SetBody(body)
	if err := c.agent.prepare(ctx, req); err != nil {
		return nil, err
	}
	res, err := c.dss.Do(ctx, req)
	if err != nil || !res.IsSuccess() {
		return res, err
	}
	ack := sip.NewRequest(sip.ACK, *target.Clone())
	ack.SetTransport(inv.Transport())
	if err := c.agent.prepare(ctx, ack); err != nil {
		return res, fmt.Errorf("ack re-INVITE: %w", err)
	}
	if err := c.dss.WriteRequest(ack); err != nil {
		return res, fmt.Errorf("ack re-INVITE: %w", err)
	}
	return res, nil
}

var (
	directionLine = regexp.MustCompile(`(?m)^a=(sendrecv|sendonly|recvonly|inactive)(\r?)$`)
	mediaLine     = regexp.MustCompile(`(?m)^m=audio [^\r\n]*(\r?\n)?`)
	connLine      = regexp.MustCompile(`(?m)^c=IN IP([46]) \S+?(\r?)$`)
	originLine    = regexp.MustCompile(`(?m)^(o=\S+ \S+ )(\d+)( .*)$`)
)

// withDirection returns sdp with its direction attribute set to dir (added
// after the audio m= line when it has none).
func withDirection(sdp []byte, dir string) []byte {
	if directionLine.Match(sdp) {
		return directionLine.ReplaceAll(sdp, []byte("a="+dir+"$2"))
	}
	m := mediaLine.FindSubmatchIndex(sdp)
	if m == nil {
		return sdp
	}
	eol := "\r\n"
	if m[2] >= 0 {
		eol = string(sdp[m[2]:m[3]])
	}
	out := append([]byte{}, sdp[:m[1]]...)
	if m[2] < 0 { // the m= line ends the body
		out = append(out, eol...)
	}
	out = append(out, "a="+dir+eol...)
	return append(out, sdp[m[1]:]...)
}

// zeroAddr returns sdp with every connection address 0.0.0.0 (or ::).
func zeroAddr(sdp []byte) []byte {
	return connLine.ReplaceAllFunc(sdp, func(line []byte) []byte {
		m := connLine.FindSubmatch(line)
		addr := "0.0.0.0"
		if string(m[1]) == "6" {
			addr = "::"
		}
		return []byte("c=IN IP" + string(m[1]) + " " + addr + string(m[2]))
	})
}

// withAddr returns sdp with every connection address addr.
func withAddr(sdp []byte, addr netip.Addr) []byte {
	if !addr.IsValid() {
		return sdp
	}
	family := "4"
	if addr.Is6() && !addr.Is4In6() {
		family = "6"
	}
	return connLine.ReplaceAllFunc(sdp, func(line []byte) []byte {
		m := connLine.FindSubmatch(line)
		return []byte("c=IN IP" + family + " " + addr.Unmap().String() + string(m[2]))
	})
}

// nextVersion raises the o= line's session version (RFC 3264 §8: a new
// offer in a session changes it).
func nextVersion(sdp []byte) []byte {
	return originLine.ReplaceAllFunc(sdp, func(line []byte) []byte {
		m := originLine.FindSubmatch(line)
		v, err := strconv.ParseUint(string(m[2]), 10, 64)
		if err != nil {
			return line
		}
		return []byte(string(m[1]) + strconv.FormatUint(v+1, 10) + string(m[3]))
	})
}

// refreshAnswer is the SDP a phone answers a re-offer with: its own, with
// the direction that answers the offer's (sendonly → recvonly, inactive →
// inactive, recvonly → sendonly; sendrecv or none: its own unchanged).
func refreshAnswer(local, offer []byte) []byte {
	s, err := sdpneg.Parse(offer)
	if err != nil {
		return local
	}
	switch s.Direction {
	case sdpneg.SendOnly:
		return withDirection(local, sdpneg.RecvOnly)
	case sdpneg.Inactive:
		return withDirection(local, sdpneg.Inactive)
	case sdpneg.RecvOnly:
		return withDirection(local, sdpneg.SendOnly)
	}
	return local
}
