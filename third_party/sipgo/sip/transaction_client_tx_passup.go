package sip

// pbxlab patch: handing a client transaction's responses to its TU without
// a goroutine per response (README.pbxlab.md).
//
// Upstream, TransactionLayer.handleMessage starts a goroutine for every
// response it reads, and that goroutine runs the transaction's FSM, which
// blocks in fsmPassUp until the TU takes the response from Responses(): a
// scheduler wake-up per response, and two responses read back to back (a
// 180 and a 200) may reach the TU in either order.
//
// Patched, the goroutine that read the response runs the FSM
// (TransactionLayer.handleResponseInline) and passUp hands the response to
// a TU that is waiting on Responses() at once. When the TU is busy, the
// response is queued and one goroutine hands the queue over in order, so
// the reader never waits for a TU. The guarantee upstream's blocking gave
// is kept: a TU sees every response passed up before Done() closes, unless
// it called Terminate (then, as upstream, what it has not taken is dropped).

// passUps is a client transaction's hand-over state, guarded by tx.mu.
type passUps struct {
	queue      []*Response // passed up, not yet taken by the TU, oldest first
	delivering bool        // a goroutine (deliverPassUps) hands the queue over
	holdDone   bool        // the FSM ended the transaction with responses queued
	ending     bool        // the FSM is ending the transaction (deleteAfterPassUp)
	doneClosed bool
}

// passUp hands res to the TU: directly when it waits on Responses() and
// nothing is queued before it, else through the queue.
func (tx *ClientTx) passUp(res *Response) {
	tx.mu.Lock()
	defer tx.mu.Unlock()
	p := &tx.passUps
	if p.doneClosed {
		return
	}
	if !p.delivering {
		select {
		case tx.responses <- res:
			return
		default:
		}
		p.delivering = true
		go tx.deliverPassUps()
	}
	p.queue = append(p.queue, res)
}

// deliverPassUps hands the queued responses to the TU in order, then closes
// Done if the FSM ended the transaction meanwhile.
func (tx *ClientTx) deliverPassUps() {
	p := &tx.passUps
	for {
		tx.mu.Lock()
		if len(p.queue) == 0 || p.doneClosed {
			p.queue, p.delivering = nil, false
			if p.holdDone && !p.doneClosed {
				p.doneClosed = true
				close(tx.done)
			}
			tx.mu.Unlock()
			return
		}
		res := p.queue[0]
		tx.mu.Unlock()
		select {
		case tx.responses <- res:
			tx.mu.Lock()
			p.queue[0] = nil
			p.queue = p.queue[1:]
			tx.mu.Unlock()
		case <-tx.done: // Terminate: the TU has left
			tx.mu.Lock()
			p.queue, p.delivering = nil, false
			tx.mu.Unlock()
			return
		}
	}
}

// deleteAfterPassUp is actDelete's delete: the FSM ends the transaction,
// and Done waits for the responses the TU has not taken yet.
func (tx *ClientTx) deleteAfterPassUp(err error) {
	tx.mu.Lock()
	tx.passUps.ending = true
	tx.mu.Unlock()
	tx.delete(err)
}

// closeDoneLocked closes Done, or, when the FSM ends the transaction while
// responses wait in the queue, leaves that to deliverPassUps. tx.mu held.
func (tx *ClientTx) closeDoneLocked() {
	p := &tx.passUps
	if p.doneClosed {
		return
	}
	if p.ending && p.delivering {
		p.holdDone = true
		return
	}
	p.doneClosed = true
	close(tx.done)
}

// closeHeldDone closes a Done that waits for queued responses: Terminate
// after the FSM ended the transaction.
func (tx *ClientTx) closeHeldDone() {
	tx.mu.Lock()
	defer tx.mu.Unlock()
	p := &tx.passUps
	p.ending = false
	if !p.doneClosed {
		p.doneClosed = true
		close(tx.done)
	}
}
