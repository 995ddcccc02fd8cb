package phone

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// Direction says who placed a call.
type Direction int

// Call directions.
const (
	Outgoing Direction = iota + 1 // this phone sent the INVITE
	Incoming                      // this phone received it
)

// String returns "outgoing" or "incoming".
func (d Direction) String() string {
	if d == Incoming {
		return "incoming"
	}
	return "outgoing"
}

// Party says which side ended a call.
type Party int

// Parties.
const (
	Local  Party = iota + 1 // this phone (or its Agent)
	Remote                  // the far end (or the PBX)
)

// String returns "local", "remote" or "none".
func (p Party) String() string {
	switch p {
	case Local:
		return "local"
	case Remote:
		return "remote"
	}
	return "none"
}

// Reason says how a call ended.
type Reason string

// End reasons.
const (
	ReasonBye    Reason = "bye"    // BYE after answer (RFC 3261 §15)
	ReasonCancel Reason = "cancel" // CANCEL before answer (RFC 3261 §9), normally 487
	ReasonStatus Reason = "status" // final non-2xx answer to the INVITE (busy, decline, ...)
	ReasonError  Reason = "error"  // transport or transaction failure, unusable SDP
	ReasonClosed Reason = "closed" // the Agent was closed
)

// End records how a call ended.
type End struct {
	By     Party
	Reason Reason
	// Code is the final status of the INVITE: 200 for an answered call,
	// 486/487/603/... otherwise, 0 when none was sent or received.
	Code int
	// Err is the failure behind ReasonError (or a failed BYE), if any.
	Err error
}

// State is where a call is in its life.
type State int

// Call states.
const (
	Calling  State = iota + 1 // INVITE sent or received, no 18x yet
	Early                     // ringing or early media (180/183)
	Answered                  // 2xx sent or received
	Ended
)

// String returns the state's name.
func (s State) String() string {
	switch s {
	case Calling:
		return "calling"
	case Early:
		return "early"
	case Answered:
		return "answered"
	case Ended:
		return "ended"
	}
	return "unknown"
}

// Call is one call leg of a phone, outgoing or incoming. All methods are
// safe for concurrent use.
type Call struct {
	agent  *Agent
	phone  *Phone
	dir    Direction
	key    string
	callID string
	remote string // far number (dialled number, or the caller's From user)

	mu          sync.Mutex
	state       State
	provisional []int
	earlyTag    string // the far end's To tag of an early dialog (a provisional's)
	code        int
	reason      string
	early       bool
	invitedAt   time.Time
	ringAt      time.Time
	answerAt    time.Time
	end         End
	localSDP    []byte
	far         Identity // what TwoWayAudio listens for
	reinvites   int      // re-INVITEs received (ReinvitesReceived)
	infoDigits  []byte   // DTMF keys received as SIP INFO (InfoDigits)
	acked       bool     // an incoming call's 2xx has been ACKed (Acked)

	ringing chan struct{} // closed at the first 18x
	final   chan struct{} // closed at the final response (or the end)
	done    chan struct{} // closed at the end

	// outgoing
	invite     *sip.Request  // our INVITE (updated by digest retries until answered)
	uac        *uacDialog    // set once answered
	hangup     chan struct{} // closed by Hangup before the answer
	hangupOnce sync.Once
	waitDone   chan struct{} // closed when runOutgoing returns
	// incoming
	dss     *sipgo.DialogServerSession
	control chan control
	okSent  chan struct{} // closed once our 2xx has been handed to the transaction (uasBye waits for it)

	media *media
	rel   relState // 100rel, both directions (prack.go)
	// st is the call's session timer (sessiontimer.go).
	st callTimer
}

type control struct {
	code    int          // 200 answer; >= 300 reject with that code
	headers []sip.Header // added to a final >= 300 (Contact of a 3xx)
}

func newCall(p *Phone, dir Direction, callID, localTag, remote string) *Call {
	return &Call{
		agent:    p.agent,
		phone:    p,
		dir:      dir,
		key:      dialogKey(callID, localTag),
		callID:   callID,
		remote:   remote,
		far:      IdentityFor(remote),
		state:    Calling,
		ringing:  make(chan struct{}),
		final:    make(chan struct{}),
		done:     make(chan struct{}),
		waitDone: make(chan struct{}),
		hangup:   make(chan struct{}),
		control:  make(chan control, 1),
	}
}

// CallID returns the SIP Call-ID of this leg.
func (c *Call) CallID() string { return c.callID }

// Direction tells whether this phone placed or received the call.
func (c *Call) Direction() Direction { return c.dir }

// Phone returns the phone this leg belongs to.
func (c *Call) Phone() *Phone { return c.phone }

// Remote returns the far end's number: the dialled number for outgoing
// calls, the caller's From user for incoming ones.
func (c *Call) Remote() string { return c.remote }

// State returns the call's state.
func (c *Call) State() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// Provisional returns the provisional statuses seen (sent for incoming calls), in order.
func (c *Call) Provisional() []int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.provisional)
}

// Code returns the final status of the INVITE (0 while there is none).
func (c *Call) Code() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.code
}

// EarlyMedia reports whether a 183 with SDP was received (or sent).
func (c *Call) EarlyMedia() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.early
}

// SetupTime is INVITE sent → 2xx received (Agent clock); false if not answered.
func (c *Call) SetupTime() (time.Duration, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.answerAt.IsZero() {
		return 0, false
	}
	return c.answerAt.Sub(c.invitedAt), true
}

// RingTime is INVITE sent → first 180 Ringing; false if it never rang.
func (c *Call) RingTime() (time.Duration, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ringAt.IsZero() {
		return 0, false
	}
	return c.ringAt.Sub(c.invitedAt), true
}

// End returns how the call ended (zero End while it is in progress).
func (c *Call) End() End {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.end
}

// Done is closed when the call has ended.
func (c *Call) Done() <-chan struct{} { return c.done }

// Final is closed at the final response to the INVITE (sent or received)
// or when the call ends without one: WaitAnswer as a channel.
func (c *Call) Final() <-chan struct{} { return c.final }

// Acked reports whether the ACK for an incoming call's 2xx has arrived:
// the caller's side has the answer (WaitAnswer returns once the 2xx is
// sent, before the far end has it).
func (c *Call) Acked() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.acked
}

// WaitRinging waits for the first 180/183.
func (c *Call) WaitRinging(ctx context.Context) error {
	select {
	case <-c.ringing:
		return nil
	case <-c.done:
		return fmt.Errorf("wait ringing %s: %w", c.callID, c.notAnsweredErr())
	case <-ctx.Done():
		return fmt.Errorf("wait ringing %s: %w", c.callID, ctx.Err())
	}
}

// WaitAnswer waits for the final response: nil when answered, a
// *StatusError for a non-2xx answer, ErrNotAnswered if the call ended
// otherwise (cancelled, failed).
func (c *Call) WaitAnswer(ctx context.Context) error {
	select {
	case <-c.final:
	case <-ctx.Done():
		return fmt.Errorf("wait answer %s: %w", c.callID, ctx.Err())
	}
	c.mu.Lock()
	code := c.code
	c.mu.Unlock()
	if code >= 200 && code < 300 {
		return nil
	}
	return fmt.Errorf("wait answer %s: %w", c.callID, c.notAnsweredErr())
}

func (c *Call) notAnsweredErr() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.code >= 300 {
		return &StatusError{Method: "INVITE", Code: c.code, Reason: c.reason}
	}
	if c.end.Err != nil {
		return fmt.Errorf("%w: %w", ErrNotAnswered, c.end.Err)
	}
	return ErrNotAnswered
}

// Wait blocks until the call ends and returns how.
func (c *Call) Wait(ctx context.Context) (End, error) {
	select {
	case <-c.done:
		return c.End(), nil
	case <-ctx.Done():
		return End{}, fmt.Errorf("wait call %s: %w", c.callID, ctx.Err())
	}
}

// Hangup ends the call from this side: BYE once answered, CANCEL while an
// outgoing call is still ringing, 480 for an incoming call not yet
// answered. Hanging up an ended call does nothing.
func (c *Call) Hangup(ctx context.Context) error {
	switch c.State() {
	case Ended:
		return nil
	case Answered:
		return c.bye(ctx)
	}
	if c.dir == Incoming {
		return c.decide(ctx, control{code: 480})
	}
	// runOutgoing sends CANCEL (RFC 3261 §9.1), or BYE if a 2xx crosses it.
	c.hangupOnce.Do(func() { close(c.hangup) })
	select {
	case <-c.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("cancel call %s: %w", c.callID, ctx.Err())
	}
}

// Answer answers a ringing incoming call (any behaviour) with 200 OK.
func (c *Call) Answer(ctx context.Context) error {
	if c.dir != Incoming {
		return fmt.Errorf("answer call %s: %w: outgoing", c.callID, ErrCallState)
	}
	if err := c.decide(ctx, control{code: 200}); err != nil {
		return err
	}
	return c.WaitAnswer(ctx)
}

// Reject answers a ringing incoming call with a final status >= 300.
func (c *Call) Reject(ctx context.Context, code int) error {
	if c.dir != Incoming || code < 300 || code > 699 {
		return fmt.Errorf("reject call %s with %d: %w", c.callID, code, ErrCallState)
	}
	return c.decide(ctx, control{code: code})
}

// decide hands a decision to the goroutine ringing an incoming call.
func (c *Call) decide(ctx context.Context, ctl control) error {
	select {
	case c.control <- ctl:
	case <-c.final:
		return fmt.Errorf("decide call %s: %w: already answered or ended", c.callID, ErrCallState)
	case <-ctx.Done():
		return fmt.Errorf("decide call %s: %w", c.callID, ctx.Err())
	}
	if ctl.code == 200 {
		return nil
	}
	_, err := c.Wait(ctx)
	return err
}

// setProvisional records a provisional status (sent or received).
func (c *Call) setProvisional(code int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state == Ended {
		return
	}
	c.provisional = append(c.provisional, code)
	if code > 100 && c.state == Calling {
		c.state = Early
		close(c.ringing)
	}
	if code == 180 && c.ringAt.IsZero() {
		c.ringAt = c.agent.clock.Now()
	}
}

// setAnswered records the 2xx.
func (c *Call) setAnswered() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state == Ended || c.state == Answered {
		return false
	}
	c.code, c.reason = 200, "OK"
	c.answerAt = c.agent.clock.Now()
	if c.state == Calling {
		close(c.ringing)
	}
	c.state = Answered
	close(c.final)
	return true
}

// finishStatus ends a call that got (or gave) a final non-2xx status.
func (c *Call) finishStatus(by Party, code int, reason string) {
	c.mu.Lock()
	if c.state != Ended && c.code == 0 {
		c.code, c.reason = code, reason
	}
	c.mu.Unlock()
	c.finish(End{By: by, Reason: ReasonStatus, Code: code})
}

// finish ends the call once: records e, releases media and forgets the call.
func (c *Call) finish(e End) {
	c.mu.Lock()
	if c.state == Ended {
		c.mu.Unlock()
		return
	}
	if c.code == 0 {
		c.code = e.Code
	}
	if e.Code == 0 {
		e.Code = c.code
	}
	if c.state == Calling {
		close(c.ringing)
	}
	if c.state != Answered {
		close(c.final)
	}
	c.state = Ended
	c.end = e
	c.mu.Unlock()

	if c.media != nil {
		c.media.close()
	}
	c.agent.dropCall(c)
	c.phone.dropCall(c)
	close(c.done)
	c.agent.log.Debug("call ended", "call_id", c.callID, "number", c.phone.cfg.Number, "remote", c.remote,
		"by", e.By, "reason", e.Reason, "code", e.Code, "error", e.Err)
}

// bye ends an answered call with BYE (RFC 3261 §15.1.1).
func (c *Call) bye(ctx context.Context) error {
	return c.byeWith(ctx, End{By: Local, Reason: ReasonBye, Code: 200})
}

// byeWith sends BYE and ends the call with e (whatever the BYE's fate).
func (c *Call) byeWith(ctx context.Context, e End) error {
	var err error
	if c.dir == Outgoing {
		err = c.uacBye(ctx)
	} else {
		err = c.uasBye(ctx)
	}
	if err != nil {
		e.Err = errors.Join(e.Err, fmt.Errorf("bye: %w", err))
	}
	c.finish(e)
	if err != nil {
		return fmt.Errorf("hangup %s: %w", c.callID, err)
	}
	return nil
}
