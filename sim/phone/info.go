package phone

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/emiago/sipgo/sip"
)

// DTMF over SIP INFO (application/dtmf-relay, the Cisco/Asterisk body
// "Signal=5\r\nDuration=160\r\n"): what a phone without RTP, or whose far
// end offered no telephone-event, sends. The PBX's IVR, voicemail and
// intervention menus take it, and a bridged call relays it to the far end.

// infoDuration is the Duration of an INFO digit, in milliseconds.
const infoDuration = 160

// SendInfoDTMF sends digits (0-9 * # A-D) one SIP INFO each, in order,
// and returns once the last is answered. The call must be answered: a
// non-2xx answer is a *StatusError (Method INFO).
func (c *Call) SendInfoDTMF(ctx context.Context, digits string) error {
	if c.State() != Answered {
		return fmt.Errorf("send info dtmf %s: %w: %s", c.callID, ErrCallState, c.State())
	}
	for _, d := range strings.ToUpper(digits) {
		if !strings.ContainsRune("0123456789*#ABCD", d) {
			return fmt.Errorf("send info dtmf %s: %w: key %q", c.callID, ErrNoDTMF, d)
		}
		body := fmt.Sprintf("Signal=%c\r\nDuration=%d\r\n", d, infoDuration)
		res, err := c.inDialogRequestTyped(ctx, sip.INFO, "application/dtmf-relay", []byte(body), nil)
		if err != nil {
			return fmt.Errorf("send info dtmf %s: %w", c.callID, err)
		}
		if !res.IsSuccess() {
			return fmt.Errorf("send info dtmf %s: %w", c.callID, &StatusError{Method: "INFO", Code: res.StatusCode, Reason: res.Reason})
		}
	}
	return nil
}

// onInfo answers a SIP INFO 200 and keeps the key of a DTMF one
// (application/dtmf-relay or application/dtmf) on its call (InfoDigits).
func (a *Agent) onInfo(req *sip.Request, tx sip.ServerTransaction) {
	if c := a.callFor(req); c != nil {
		ct := ""
		if h := req.ContentType(); h != nil {
			ct = h.Value()
		}
		if d, ok := ParseInfoDTMF(ct, req.Body()); ok {
			c.mu.Lock()
			c.infoDigits = append(c.infoDigits, d)
			c.mu.Unlock()
		}
	}
	a.respond(tx, req, 200, "OK")
}

// InfoDigits returns the DTMF keys this leg received as SIP INFO so far.
func (c *Call) InfoDigits() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return string(c.infoDigits)
}

// ParseInfoDTMF reads the key of a SIP INFO DTMF body: application/dtmf-relay
// ("Signal=5" on a line of its own, Duration= beside it) or application/dtmf
// (the key alone). Keys are 0-9 * # A-D (lower case taken); the Signal
// values 10 and 11 of some phones are * and #.
func ParseInfoDTMF(contentType string, body []byte) (byte, bool) {
	ct, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(contentType)), ";")
	var v []byte
	switch strings.TrimSpace(ct) {
	case "application/dtmf-relay":
		for line := range bytes.Lines(body) {
			k, val, ok := bytes.Cut(line, []byte("="))
			if ok && bytes.EqualFold(bytes.TrimSpace(k), []byte("signal")) {
				v = bytes.TrimSpace(val)
				break
			}
		}
	case "application/dtmf":
		v = bytes.TrimSpace(body)
	default:
		return 0, false
	}
	switch string(v) {
	case "10":
		return '*', true
	case "11":
		return '#', true
	}
	if len(v) != 1 {
		return 0, false
	}
	d := bytes.ToUpper(v)[0]
	if !strings.ContainsRune("0123456789*#ABCD", rune(d)) {
		return 0, false
	}
	return d, true
}
