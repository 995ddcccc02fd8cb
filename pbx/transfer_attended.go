package pbx

import (
	"fmt"

	"pbxlab/pbx/internal/call"
)

// attendedTransfer carries out a REFER whose Refer-To names a dialog to
// replace (RFC 5589 §7): the transferee is joined with the party of the
// transferor's other call. Only the transferor's own dialog may be named:
// the party on the named leg must be the transferor (else 403), so that no
// one takes over a call they are not in. An unknown dialog: NOTIFY 481.
func (s *Server) attendedTransfer(c *call.Call, from, stay *call.Leg, t referTarget, n *referNotifier) {
	transferor, transferee := c.Party(from), c.Party(stay)
	r := t.replaces
	err := c.TransferAttended(call.AttendedTransfer{
		From: from, Stay: stay, Caller: transferee,
		Replaces: call.Takeover{CallID: r.callID, ToTag: r.toTag, FromTag: r.fromTag, EarlyOnly: r.earlyOnly,
			Allow: func(party string) bool { return party == transferor },
			Why:   fmt.Sprintf("transferred: %s joined to %s", transferee, t.number)},
		Progress: func(code int, reason string, final bool) {
			var then func()
			if final && code == 200 {
				then = func() { c.End(from) }
			}
			n.send(code, reason, final, then)
		},
	})
	if err != nil {
		c.Log().Info("attended transfer not started", "error", err)
		n.send(503, "Service Unavailable", true, nil)
	}
}
