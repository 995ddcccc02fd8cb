package carrier

import (
	"fmt"
	"strings"
	"time"
)

// Action is what the carrier does with a call the PBX sends it.
type Action int

// Actions.
const (
	// Answer rings (180) for Behaviour.Delay, then answers 200 with media.
	Answer Action = iota
	// Busy answers 486 Busy Here at once.
	Busy
	// Reject answers Behaviour.Code (default 503) at once, with
	// Retry-After when Behaviour.RetryAfter is set.
	Reject
	// NoAnswer rings (180) until the PBX cancels (487).
	NoAnswer
	// Silent never answers the INVITE, its retransmissions or its CANCEL,
	// not even 100 Trying: a dead next hop (failover on timeout).
	Silent
	// Garbage answers with bytes that are not SIP.
	Garbage
)

var actionNames = []string{"answer", "busy", "reject", "no_answer", "silent", "garbage"}

// String returns the scenario name of the action.
func (a Action) String() string {
	if int(a) >= 0 && int(a) < len(actionNames) {
		return actionNames[a]
	}
	return fmt.Sprintf("action(%d)", int(a))
}

// ParseAction reads a scenario name ("answer", "busy", "reject",
// "no_answer", "silent", "garbage").
func ParseAction(s string) (Action, error) {
	for i, n := range actionNames {
		if strings.EqualFold(s, n) {
			return Action(i), nil
		}
	}
	return 0, fmt.Errorf("action %q: %w: want one of %s", s, ErrConfig, strings.Join(actionNames, ", "))
}

// Behaviour is how the carrier terminates calls to a number.
type Behaviour struct {
	Action Action
	// Delay is how long Answer rings before answering; 0 answers at once.
	Delay time.Duration
	// Code is the final status of Reject: 300-699, default 503.
	Code int
	// RetryAfter adds Retry-After (whole seconds) to a Reject (RFC 3261 §20.33).
	RetryAfter time.Duration
	// HangupAfter makes an answered call end from the carrier's side (BYE)
	// after this long; 0 waits for the PBX to hang up.
	HangupAfter time.Duration
}

func (b Behaviour) validate(path string) error {
	switch {
	case b.Action < Answer || b.Action > Garbage:
		return fmt.Errorf("carrier %s.action %d: %w", path, b.Action, ErrConfig)
	case b.Code != 0 && (b.Code < 300 || b.Code > 699):
		return fmt.Errorf("carrier %s.code %d: %w: want 300-699", path, b.Code, ErrConfig)
	case b.Delay < 0 || b.RetryAfter < 0 || b.HangupAfter < 0:
		return fmt.Errorf("carrier %s: negative duration: %w", path, ErrConfig)
	}
	return nil
}

// code is the final status of a Reject.
func (b Behaviour) code() int {
	if b.Code == 0 {
		return 503
	}
	return b.Code
}

// SetBehaviour sets the behaviour for called numbers starting with prefix
// ("" sets the default) for calls arriving from now on.
func (c *Carrier) SetBehaviour(prefix string, b Behaviour) error {
	if err := b.validate("behaviour[" + prefix + "]"); err != nil {
		return err
	}
	c.mu.Lock()
	c.behaviour[prefix] = b
	c.mu.Unlock()
	return nil
}

// Fail makes the carrier answer every new INVITE with code (e.g. 503 or
// 500) whatever the number, until Recover.
func (c *Carrier) Fail(code int) error {
	if code < 300 || code > 699 {
		return fmt.Errorf("carrier fail %d: %w: want 300-699", code, ErrConfig)
	}
	c.mu.Lock()
	c.failCode = code
	c.mu.Unlock()
	return nil
}

// GoSilent makes the carrier drop every packet it receives or would send
// (REGISTER, OPTIONS, INVITE, in-dialog requests, responses): a carrier
// that vanished from the network. On TCP it swallows every request it
// receives instead (no response, the connections stay up: a hung
// carrier); its own requests and media still leave. Recover undoes it.
func (c *Carrier) GoSilent() { c.conn.setSilent(true) }

// Recover ends GoSilent and Fail.
func (c *Carrier) Recover() {
	c.conn.setSilent(false)
	c.mu.Lock()
	c.failCode = 0
	c.mu.Unlock()
}

// Dropped is how many packets (on TCP: requests) were dropped while
// silent (GoSilent).
func (c *Carrier) Dropped() int { return c.conn.droppedCount() }

// behaviourFor is the behaviour for a called number (c.mu held): Fail's,
// else the longest matching prefix, else the default.
func (c *Carrier) behaviourFor(user string) Behaviour {
	if c.failCode != 0 {
		return Behaviour{Action: Reject, Code: c.failCode}
	}
	best, bestLen := c.behaviour[""], 0
	for prefix, b := range c.behaviour {
		if len(prefix) > bestLen && strings.HasPrefix(user, prefix) {
			best, bestLen = b, len(prefix)
		}
	}
	return best
}
