package phone

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"pbxlab/internal/rtpaudio"
	"pbxlab/internal/sdpneg"
)

// DTMF of a simulated phone: RFC 4733 telephone-events on the call's RTP
// stream, with the payload type the far end's SDP gives, when both sides
// negotiated telephone-event/8000 (the default codecs offer it).

// eventCodec returns the telephone-event format of a negotiated session
// when this phone offers or accepts telephone-event too.
func eventCodec(remote *sdpneg.Session, ours []sdpneg.Codec) (sdpneg.Codec, bool) {
	if !hasEvents(ours) {
		return sdpneg.Codec{}, false
	}
	for _, c := range remote.Codecs {
		if strings.EqualFold(c.Name, "telephone-event") && c.Rate == 8000 {
			return c, true
		}
	}
	return sdpneg.Codec{}, false
}

func hasEvents(codecs []sdpneg.Codec) bool {
	for _, c := range codecs {
		if strings.EqualFold(c.Name, "telephone-event") {
			return true
		}
	}
	return false
}

// applyEvents sets the stream's telephone-event format from the far end's
// session (none when it offers none).
func (m *media) applyEvents(remote *sdpneg.Session) {
	c, _ := eventCodec(remote, m.cfg.codecs)
	_ = m.stream.SetEventCodec(c) // c is telephone-event/8000 or empty
}

// DTMF timing of SendDTMF: each key held 100 ms, 100 ms apart (what phones
// send; IVRs and voicemail menus take it).
const (
	dtmfDuration = 100 * time.Millisecond
	dtmfGap      = 100 * time.Millisecond
)

// SendDTMF sends digits (0-9 * # A-D) to the far end as RFC 4733
// telephone-events and returns once the last one is out. The call must be
// answered (or in early media) with telephone-event negotiated and the
// phone sending: ErrCallState, ErrNoDTMF, or ErrNoAudio on a
// signalling-only phone otherwise.
func (c *Call) SendDTMF(ctx context.Context, digits string) error {
	if c.media == nil {
		return fmt.Errorf("send dtmf %s: %w", c.callID, ErrNoAudio)
	}
	c.mu.Lock()
	state, early := c.state, c.early
	c.mu.Unlock()
	if !(state == Answered || (state == Early && early)) {
		return fmt.Errorf("send dtmf %s: %w: %s", c.callID, ErrCallState, state)
	}
	if err := c.media.sendDigits(ctx, digits); err != nil {
		return fmt.Errorf("send dtmf %s: %w: %w", c.callID, ErrNoDTMF, err)
	}
	return nil
}

// sendDigits hands digits to the stream's sender. Right after the answer
// the sender may not run yet (its goroutine is starting): while the phone
// is sending, a refusal for that reason is retried every packet time.
func (m *media) sendDigits(ctx context.Context, digits string) error {
	select { // the 2xx's SDP is applied just after the call turns answered
	case <-m.applied:
	case <-ctx.Done():
		return fmt.Errorf("send digits %q: no far-end SDP applied: %w", digits, ctx.Err())
	}
	for {
		err := m.stream.SendDigits(ctx, digits, dtmfDuration, dtmfGap)
		if !errors.Is(err, rtpaudio.ErrNotSending) {
			return err
		}
		m.mu.Lock()
		starting := m.sending && !m.stopped
		m.mu.Unlock()
		if !starting {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Digits returns the DTMF digits this leg received as telephone-events so
// far ("" on a signalling-only phone).
func (c *Call) Digits() string {
	if c.media == nil {
		return ""
	}
	return c.media.stream.ReceivedDigits()
}

// WaitDigits waits until this leg received at least n DTMF digits or ctx
// ends, and returns the digits received.
func (c *Call) WaitDigits(ctx context.Context, n int) (string, error) {
	if c.media == nil {
		return "", fmt.Errorf("wait dtmf %s: %w", c.callID, ErrNoAudio)
	}
	got, err := c.media.stream.WaitDigits(ctx, n)
	if err != nil {
		return got, fmt.Errorf("wait dtmf %s: %w", c.callID, err)
	}
	return got, nil
}
