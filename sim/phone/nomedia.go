package phone

import (
	"bytes"
	"fmt"
	"net/netip"
	"slices"

	"pbxlab/internal/sdpneg"
)

// discardPort is the port a signalling-only phone puts in its SDP: the
// discard service (RFC 863), the conventional "no media here" placeholder.
const discardPort = 9

// callMedia opens the RTP stream of a new call and returns it with the
// address our SDP advertises. A signalling-only Agent or phone opens
// nothing: the stream is nil and the address a placeholder.
func (a *Agent) callMedia(mc mediaConfig) (*media, netip.AddrPort, error) {
	if a.cfg.SignallingOnly || mc.signallingOnly {
		ip := a.cfg.LocalIP
		if mc.sdpAddr.IsValid() {
			ip = mc.sdpAddr
		}
		return nil, netip.AddrPortFrom(ip, discardPort), nil
	}
	m, err := a.openMedia(mc)
	if err != nil {
		return nil, netip.AddrPort{}, err
	}
	return m, m.local(), nil
}

// applyMedia points the call's stream at the far end of a negotiated
// session. Without a stream (signalling-only) it only checks that the
// session is usable, so a bad SDP fails the same way in both modes.
func (c *Call) applyMedia(far *sdpneg.Session) error {
	if c.media != nil {
		return c.media.apply(far)
	}
	if _, ok := far.AudioCodec(); !ok || !far.Addr.IsValid() {
		return fmt.Errorf("apply media: %w", ErrNoMedia)
	}
	return nil
}

// applyAnswer applies the SDP answer of a 2xx to our INVITE. Without a
// stream, a body the Agent already found usable (a load run's far end
// answers with the same SDP call after call) is not parsed again.
func (c *Call) applyAnswer(body []byte) error {
	a := c.agent
	if c.media == nil {
		if ok := a.usableAnswer.Load(); ok != nil && bytes.Equal(*ok, body) {
			return nil
		}
	}
	s, err := sdpneg.Parse(body)
	if err == nil {
		err = c.applyMedia(s)
	}
	if err == nil && c.media == nil {
		b := slices.Clone(body)
		a.usableAnswer.Store(&b)
	}
	return err
}

// closeMedia releases a stream callMedia opened, if any.
func closeMedia(m *media) {
	if m != nil {
		m.close()
	}
}
