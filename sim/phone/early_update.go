package phone

import (
	"context"
	"fmt"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/sdpneg"
)

// EarlyUpdate sends, on an outgoing call that rings, an UPDATE with the
// phone's SDP as a new offer in the early dialog of the last reliable
// provisional response (RFC 3311 §5.1: offer/answer is complete there once
// a reliable provisional carried the answer and was PRACKed), and returns
// the UPDATE's final status. A 2xx's answer is applied to the call's media.
func (c *Call) EarlyUpdate(ctx context.Context) (int, error) {
	c.mu.Lock()
	res := c.rel.lastRes
	if res == nil || c.dir != Outgoing || c.state != Early {
		c.mu.Unlock()
		return 0, fmt.Errorf("early update: %w: no early dialog with a reliable provisional", ErrCallState)
	}
	c.rel.cseq++
	req := c.inDialog(earlyDialog(c.invite, res), sip.UPDATE, c.rel.cseq)
	body := c.localSDP
	c.mu.Unlock()
	contact := c.phone.contactHeader()
	req.AppendHeader(&contact)
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	req.SetBody(body)
	ans, err := c.agent.do(ctx, req)
	if err != nil {
		return 0, fmt.Errorf("early update: %w", err)
	}
	if ans.IsSuccess() && len(ans.Body()) > 0 {
		if s, err := sdpneg.Parse(ans.Body()); err == nil {
			_ = c.applyMedia(s)
		}
	}
	return ans.StatusCode, nil
}
