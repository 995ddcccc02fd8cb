package call

import (
	"context"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/clock"
	"pbxlab/pbx/internal/cdr"
	"pbxlab/pbx/internal/sipx"
)

type state int

const (
	stateCalling    state = iota // INVITE forked, no final response yet
	stateConfirmed               // 2xx sent to the caller
	stateTerminated              // final non-2xx sent, or BYE exchanged
)

// Call is one B2BUA call: the caller's leg a, its forks, and once a fork
// answers, the callee's leg b.
type Call struct {
	m      *Manager
	ctx    context.Context
	cancel context.CancelFunc

	mu        sync.Mutex
	state     state
	a         *leg
	aInvite   *sip.Request
	aTx       sipx.Tx
	forks     []*fork
	winner    *fork
	early     *fork // the fork whose early-media SDP the caller was given
	cancelled bool  // the caller CANCELled or the no-answer timer fired
	answer200 *sip.Response
	lateOffer bool // the caller's INVITE had no SDP: ACK to the callee waits for the caller's ACK

	acked     chan struct{}
	ackedOnce sync.Once
	// answered closes once the caller's INVITE has its final response:
	// sipgo terminates a server transaction whose handler returns before
	// that, so HandleInvite waits on it.
	answered     chan struct{}
	answeredOnce sync.Once
	retrans      clock.Timer
	noAnswer     clock.Timer
	ended        chan struct{}
	endOnce      sync.Once

	rec   cdr.Record
	cdrID int64
}

func (c *Call) legs() []*leg {
	out := []*leg{c.a}
	for _, f := range c.forks {
		out = append(out, f.leg)
	}
	return out
}

// markAcked records the caller's ACK for our 2xx (RFC 3261 §13.3.1.4).
func (c *Call) markAcked() {
	c.ackedOnce.Do(func() {
		close(c.acked)
		c.mu.Lock()
		if c.retrans != nil {
			c.retrans.Stop()
		}
		c.mu.Unlock()
	})
}

func (c *Call) markAnswered() { c.answeredOnce.Do(func() { close(c.answered) }) }

// waitAcked lets a BYE that overtook the ACK sent just before it (each
// request runs in its own goroutine) wait briefly for that ACK, so each
// dialog's requests are handled in order.
func (c *Call) waitAcked(d time.Duration) {
	select {
	case <-c.acked:
	case <-c.m.clock.After(d):
	}
}

// finish writes the CDR and forgets the call. It runs once.
func (c *Call) finish(disp cdr.Disposition, cause int, reason string) {
	c.endOnce.Do(func() {
		c.mu.Lock()
		if c.noAnswer != nil {
			c.noAnswer.Stop()
		}
		if c.retrans != nil {
			c.retrans.Stop()
		}
		c.state = stateTerminated
		c.rec.End = c.m.clock.Now()
		c.rec.Disposition = disp
		c.rec.Cause = cause
		c.rec.Reason = reason
		rec := c.rec
		id := c.cdrID
		c.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := c.m.deps.CDR.Finish(ctx, id, rec); err != nil {
			c.m.log.Error("write CDR", "call_id", rec.CallID, "error", err)
		}
		c.m.log.Info("call ended", "call_id", rec.CallID, "caller", rec.Caller, "dialled", rec.Dialled,
			"disposition", disp, "cause", cause, "reason", reason)
		close(c.ended)
		c.cancel()
		c.m.untrack(c)
	})
}

// terminate ends the call from the PBX side (shutdown, no ACK): BYE on
// both confirmed legs, or CANCEL the forks and 480 to the caller while
// ringing.
func (c *Call) terminate(reason string) {
	c.mu.Lock()
	st := c.state
	c.mu.Unlock()
	switch st {
	case stateCalling:
		c.stopRinging(480, "Temporarily Unavailable", cdr.Failed, reason)
	case stateConfirmed:
		// the record first: a peer that never answers the BYE must not
		// hold the CDR (or a shutdown) for 64*T1
		c.finish(cdr.Answered, 200, reason)
		c.m.goBye(c, sideA)
		c.m.goBye(c, sideB)
	}
}

// goBye sends BYE on one leg in the background; Shutdown waits for these.
func (m *Manager) goBye(c *Call, s side) {
	m.byes.Add(1)
	go func() {
		defer m.byes.Done()
		c.sendBye(s)
	}()
}

// sendBye sends BYE on one leg and waits for its response (bounded).
func (c *Call) sendBye(s side) {
	l := c.legOf(s)
	if l == nil {
		return
	}
	req := l.request(c.m.deps.Token, sip.BYE, l.nextSeq(), nil, "")
	ctx, cancel := context.WithTimeout(context.Background(), 64*c.m.timers.T1)
	defer cancel()
	if _, err := c.m.do(ctx, req); err != nil {
		c.m.log.Debug("BYE", "call_id", l.callID, "error", err)
	}
}

func (c *Call) legOf(s side) *leg {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s == sideA {
		return c.a
	}
	if c.winner == nil {
		return nil
	}
	return c.winner.leg
}

// do sends req in a client transaction and returns its final response.
func (m *Manager) do(ctx context.Context, req *sip.Request) (*sip.Response, error) {
	tx, err := m.deps.Sender.Request(ctx, req)
	if err != nil {
		return nil, err
	}
	defer tx.Terminate()
	for {
		select {
		case res, ok := <-tx.Responses():
			if !ok {
				return nil, tx.Err()
			}
			if res.StatusCode >= 200 {
				return res, nil
			}
		case <-tx.Done():
			return nil, tx.Err()
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}
