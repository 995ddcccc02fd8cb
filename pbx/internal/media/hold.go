package media

import "pbxlab/internal/sdpneg"

// Music on hold. A party that puts an established call on hold sends a
// re-offer that stops it receiving: a=sendonly, a=inactive, or c=0.0.0.0
// (RFC 2543; legSDP.dir folds it in). The anchor then offers the held
// party a=sendonly from the PBX — whatever the holder's direction — and
// plays the music on hold (media.moh: the built-in tune, a media ID or a
// tone) to it alone: its endpoint's relayed audio is overridden, so it
// never hears the holder. The resume (a re-offer that receives again)
// stops the music and relays both ways again. Held legs are not sendrecv
// both ways, so the media timeout leaves them alone (LegMedia.Sends). With
// media.moh.off, or the media server off, a hold passes through unchanged.

// holding reports whether an offer with direction dir puts the far party
// on hold (the offerer no longer receives).
func holding(dir string) bool { return dir == sdpneg.SendOnly || dir == sdpneg.Inactive }

// holdOffer is the direction of the PBX's offer to t for f's offer with
// direction dir: sendonly (the PBX plays music) when f holds t in an
// established call and music on hold is on, else dir.
func (a *anchor) holdOffer(f, t *legState, dir string) string {
	if a.s.svc == nil || a.s.svc.moh == nil || f.peer != t || !holding(dir) {
		return dir
	}
	return sdpneg.SendOnly
}

// holdApply starts or stops the music to t after f's offer with direction
// dir was anchored.
func (a *anchor) holdApply(f, t *legState, dir string) {
	if a.s.svc == nil || a.s.svc.moh == nil || t.ep == nil {
		return
	}
	switch {
	case f.peer == t && holding(dir) && t.moh == nil:
		t.moh = a.s.svc.pacer.Play(t.ep, a.s.svc.moh(), nil)
		a.s.log.Debug("music on hold", "call_id", a.c.ID(), "held", t.leg.ID(), "by", f.leg.ID())
	case !holding(dir) && t.moh != nil:
		t.moh.Stop()
		t.moh = nil
		a.s.log.Debug("resume", "call_id", a.c.ID(), "leg", t.leg.ID(), "by", f.leg.ID())
	}
}

// answerDir is the direction of the PBX's answer to an offer with
// direction offer when the far leg answered answer: the PBX sends only
// what the far leg sends and the offerer takes, and receives only what the
// far leg takes and the offerer sends (RFC 3264 §6.1).
func answerDir(offer, answer string) string {
	send := dirSends(answer) && dirReceives(offer)
	recv := dirReceives(answer) && dirSends(offer)
	switch {
	case send && recv:
		return sdpneg.SendRecv
	case send:
		return sdpneg.SendOnly
	case recv:
		return sdpneg.RecvOnly
	}
	return sdpneg.Inactive
}
