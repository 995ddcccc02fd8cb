package phone

import (
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
