package pbx

import (
	"context"
	"errors"
	"fmt"

	"pbxlab/pbx/internal/call"
	"pbxlab/pbx/internal/sipx"
)

// Transfer while the target rings (RFC 5589), our choices where the
// manual is silent, as Asterisk users expect:
//   - blind: the transferor may hang up once the REFER is accepted (202);
//     the target rings on and, when it answers, talks to the transferee
//     (call/transfer.go lets the transferor go; its NOTIFYs are dropped);
//   - attended before the target answers ("semi-attended"): the
//     transferor calls the target, and while it rings REFERs the
//     transferee with Replaces naming that ringing call. Its early dialog
//     has no answered party to hand over, so the PBX ends the ringing call
//     (CANCEL to the target, 487 to the transferor, the record "cancelled:
//     transferred while ringing") and transfers the transferee blind to
//     the number that call dialled: the target rings again at once, now
//     showing the transferee, and the transfer goes on as a blind one
//     (NOTIFY 180, then 200 when it answers, then BYE to the transferor).

// transferReplacing carries out a REFER with Replaces: semi-attended when
// the named dialog is the transferor's ringing call, else attended.
func (s *Server) transferReplacing(ctx context.Context, c *call.Call, from, stay *call.Leg, t referTarget, n *referNotifier) {
	transferor, transferee := c.Party(from), c.Party(stay)
	r := t.replaces
	c.EndRingingFor(call.Takeover{CallID: r.callID, ToTag: r.toTag, FromTag: r.fromTag,
		Allow: func(party string) bool { return party == transferor },
		Why:   fmt.Sprintf("transferred while ringing: %s to %s", transferee, t.number)},
		func(dialled string, err error) {
			switch {
			case errors.Is(err, call.ErrNotEarlyCaller):
				s.attendedTransfer(c, from, stay, t, n)
			case err != nil:
				code, reason, _ := sipx.StatusOf(err)
				c.Log().Info("transfer while ringing refused", "status", code, "error", err)
				n.send(code, reason, true, nil)
			default:
				c.Log().Info("attended transfer before the answer: blind to the number rung", "target", dialled)
				s.blindTransfer(ctx, c, from, stay, referTarget{number: dialled}, n)
			}
		})
}
