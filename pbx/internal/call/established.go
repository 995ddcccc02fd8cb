package call

import "context"

// Call intervention (manual ch. 17) looks for the call a subscriber is
// talking in: Manager.Established lists the answered calls with the
// parties on their legs. What the intervention does with them (the media
// server's rooms and music) is the PBX's (pbx/intervention.go).

// Established is an answered call as intervention sees it.
type Established struct {
	Call *Call
	// Legs are the two legs of the call's two-party bridge (both
	// answered; see Pending) and Parties their numbers (Call.Party); nil
	// when the call is not a two-party call.
	Legs    []*Leg
	Parties []string
	// Service is a call the PBX answered itself (a conference room, an
	// IVR, voicemail): Parties holds its caller, Callee the number
	// dialled.
	Service bool
	Callee  string
	// Pending: the call is answered but a 2xx still waits for its ACK
	// (a leg in LegAnswered). Its dialogs are not confirmed yet (RFC 3261
	// §13.3.1.4): with a late offer the ACK still carries the answer, so
	// a caller that would move the call's media waits for the ACK and
	// asks again.
	Pending bool
}

// Established lists the answered calls: two-party calls not in the middle
// of a transfer, and calls a service answered. Each call is asked on its
// executor; ctx bounds the wait.
func (m *Manager) Established(ctx context.Context) []Established {
	m.mu.Lock()
	calls := make([]*Call, 0, len(m.calls))
	for c := range m.calls {
		calls = append(calls, c)
	}
	m.mu.Unlock()
	got := make(chan *Established, len(calls))
	for _, c := range calls {
		c.ex.post(func() { got <- c.established() })
	}
	var out []Established
	for range calls {
		select {
		case e := <-got:
			if e != nil {
				out = append(out, *e)
			}
		case <-ctx.Done():
			return out
		}
	}
	return out
}

// established describes c when it is answered, nil otherwise.
func (c *Call) established() *Established {
	if c.phase != phaseAnswered || c.xfer != nil {
		return nil
	}
	if c.winner == nil && answered(c.a.state) && (c.bridge == nil || len(c.bridge.legs) < 2) {
		return &Established{Call: c, Service: true, Parties: []string{c.rec.Caller}, Callee: c.rec.Callee,
			Pending: c.a.state != LegConfirmed}
	}
	b := c.bridge
	if b == nil || len(b.legs) != 2 {
		return nil
	}
	pending := false
	for _, l := range b.legs {
		if !answered(l.state) || l.byeSent {
			return nil
		}
		pending = pending || l.state != LegConfirmed
	}
	return &Established{Call: c, Legs: []*Leg{b.legs[0], b.legs[1]},
		Parties: []string{c.Party(b.legs[0]), c.Party(b.legs[1])}, Callee: c.rec.Callee, Pending: pending}
}

// answered: the leg's initial INVITE has its 2xx, ACKed or not.
func answered(s LegState) bool { return s == LegAnswered || s == LegConfirmed }
