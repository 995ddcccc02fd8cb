package pbx

import (
	"context"
	"time"
)

// parkComebackWait bounds the ring-back of a parker (longer than the
// no-answer timer, which ends it first).
const parkComebackWait = 3 * time.Minute

// parkComeback rings the parker of a call parked too long with the PBX's
// own call (callback_agent.go) showing the parked party; once it answers,
// the parker's leg gets the PBX's media and joins the parked party in a
// room, the PBX's own leg leaving the call. Any failure hangs up the
// parked call.
func (s *Server) parkComeback(pc *parkedCall) {
	k := pc.c
	giveUp := func(why string) {
		k.Do(func() {
			pc.stopMusic()
			hangupOnce(k, why)
		})
	}
	ctx, cancel := context.WithTimeout(context.Background(), parkComebackWait)
	defer cancel()
	callID, code, err := s.agentDial(ctx, pc.p.Parkee, pc.p.Parker)
	if err != nil || code >= 300 {
		k.Log().Info("park timeout: the parker did not take the call back", "parker", pc.p.Parker, "status", code, "error", err)
		giveUp("park timeout")
		return
	}
	c, ok := s.calls.Find(callID)
	if !ok {
		giveUp("park timeout")
		return
	}
	c.Do(func() {
		from := c.Caller()
		stay := from.Other()
		if stay == nil {
			giveUp("park timeout")
			return
		}
		ep, offer, err := s.media.Terminate(c, stay, nil)
		if err != nil {
			hangupOnce(c, "park comeback: "+err.Error())
			giveUp("park timeout")
			return
		}
		c.Rehome(stay, offer, true, func(answer []byte, err error) {
			if err == nil {
				err = s.media.TerminateAnswer(c, stay, answer)
			}
			if err != nil {
				hangupOnce(c, "park comeback: "+err.Error())
				giveUp("park timeout")
				return
			}
			c.End(from) // the PBX's own leg
			parker := pc.p.Parker
			k.Do(func() {
				pc.stopMusic()
				k.Rebill(pc.leg, pc.p.Parkee, parker, "park timeout: back to "+parker)
				s.joinParked(c, pc, ep, parker)
			})
		})
	})
}
