package phone

import (
	"context"
	"fmt"

	"github.com/emiago/sipgo/sip"
)

// Redirect answers a ringing incoming call with a 3xx (RFC 3261 §21.3)
// whose Contact headers name where to call instead, as a phone's
// "deflect" key does: 302 Moved Temporarily for a forward, 301 for a
// permanent move. The call ends on this phone; a PBX or the caller may
// follow the contacts.
func (c *Call) Redirect(ctx context.Context, code int, contacts ...sip.Uri) error {
	if c.dir != Incoming || code < 300 || code > 399 || len(contacts) == 0 {
		return fmt.Errorf("redirect call %s with %d to %d contacts: %w", c.callID, code, len(contacts), ErrCallState)
	}
	hdrs := make([]sip.Header, 0, len(contacts))
	for _, u := range contacts {
		hdrs = append(hdrs, &sip.ContactHeader{Address: *u.Clone()})
	}
	return c.decide(ctx, control{code: code, headers: hdrs})
}

// RequestHeaders returns the values of the named header in the INVITE an
// incoming call arrived with (Diversion, History-Info, P-Asserted-Identity
// ...), in order; nil for an outgoing call or an absent header.
func (c *Call) RequestHeaders(name string) []string {
	if c.dir != Incoming || c.dss == nil {
		return nil
	}
	var out []string
	for _, h := range c.dss.InviteRequest.GetHeaders(name) {
		out = append(out, h.Value())
	}
	return out
}
