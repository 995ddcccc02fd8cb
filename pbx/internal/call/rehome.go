package call

import (
	"fmt"

	"github.com/emiago/sipgo/sip"
)

// Rehome and Rebill serve call park (pbx/park.go): a party of an answered
// call is taken out of its bridge and the PBX itself becomes its far end
// (music on hold, an announcement, later a room of the media server with
// whoever retrieves it), without the call ending.

// Rehome makes the PBX the far end of leg l, which must be up: l's bridge
// is split (the leg it talked to keeps its dialog, out of every bridge:
// its BYE ends only its own leg, as a service's split leg does) and, with
// own set, l gets a bridge of its own — its later re-INVITEs and UPDATEs
// are answered locally (LocalMedia) and its BYE ends the call — else it
// stays out of every bridge too. l is re-INVITEd with offer (the media
// server's, from Terminate without an offer). done runs on the executor with the leg's
// answer, or the error: the leg refused the re-INVITE (ErrJoinRefused) or
// is not up. On an error l stays alone: the caller ends the call. It runs
// on the executor.
func (c *Call) Rehome(l *Leg, offer []byte, own bool, done func(answer []byte, err error)) {
	switch {
	case c.phase != phaseAnswered || !l.state.Up() || l.byeSent:
		done(nil, fmt.Errorf("rehome leg %s: %w", l.id, ErrLegNotUp))
		return
	case c.xfer != nil:
		done(nil, fmt.Errorf("rehome leg %s: %w", l.id, ErrTransferPending))
		return
	case len(offer) == 0:
		done(nil, fmt.Errorf("rehome leg %s: %w: no offer", l.id, ErrJoinRefused))
		return
	}
	if b := l.bridge; b != nil {
		c.Split(b)
	}
	if own {
		c.bridge = c.newBridge(l)
	}
	c.reinvite(l, offer, func(res *sip.Response, err error) {
		if err == nil && !res.IsSuccess() {
			err = fmt.Errorf("re-INVITE answered %d: %w", res.StatusCode, ErrJoinRefused)
		}
		if err != nil {
			done(nil, fmt.Errorf("rehome leg %s: %w", l.id, err))
			return
		}
		done(res.Body(), nil)
	})
}

// Rebill closes the call's record as it stands (answered, with the note
// why) and opens a new one: caller on leg billed (the party the record
// now follows) with callee. It runs on the executor of an answered call.
func (c *Call) Rebill(billed *Leg, caller, callee, why string) {
	if c.phase != phaseAnswered {
		return
	}
	c.rebill(caller, callee, why)
	c.billed = billed
}
