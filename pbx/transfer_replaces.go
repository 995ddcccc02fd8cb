package pbx

import (
	"fmt"

	"pbxlab/pbx/internal/call"
	"pbxlab/pbx/internal/sipx"
)

// routeReplaces takes an INVITE with Replaces (RFC 3891 §3): the caller
// takes the place of the dialog it names, whatever the Request-URI says.
// Only a subscriber may replace, and only a dialog of its own (the party
// on the named leg is the caller: another device of the same subscriber
// taking the call over); others get 403. A Replaces that does not parse
// gets 400, one naming no dialog 481, a confirmed dialog with early-only
// 486, an early dialog 481 when the PBX is not its UAC (RFC 3891 §3) and
// 501 otherwise (picking up a ringing call this way is not supported).
func (s *Server) routeReplaces(in call.Incoming) (call.Decision, bool) {
	if in.Request == nil {
		return call.Decision{}, false
	}
	hs := in.Request.GetHeaders("Replaces")
	if len(hs) == 0 {
		return call.Decision{}, false
	}
	if len(hs) > 1 {
		return call.Decision{Kind: call.Reject, Err: sipx.Status(400, "Bad Request: one Replaces")}, true
	}
	r, err := parseReplaces(hs[0].Value())
	if err != nil {
		return call.Decision{Kind: call.Reject, Err: &sipx.StatusError{Code: 400, Reason: "Bad Request: Replaces", Err: err}}, true
	}
	if in.Caller.Trusted {
		return call.Decision{Kind: call.Reject, Err: &sipx.StatusError{Code: 403, Reason: "Forbidden",
			Err: fmt.Errorf("replace from peer %s: %w", in.Caller.Peer, sipx.ErrForbidden)}}, true
	}
	caller := in.Caller.Number
	return call.Decision{Kind: call.ToService, Callee: in.Dialled, Service: func(c *call.Call) {
		c.ReplaceDialog(call.Takeover{CallID: r.callID, ToTag: r.toTag, FromTag: r.fromTag, EarlyOnly: r.earlyOnly,
			Allow: func(party string) bool { return party == caller },
			Why:   fmt.Sprintf("replaced by another device of %s", caller)})
	}}, true
}
