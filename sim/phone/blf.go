package phone

import (
	"context"
	"fmt"
	"time"

	"pbxlab/internal/dialoginfo"
)

// Busy lamp field (RFC 4235): a phone subscribes to another extension's
// dialog state (Event: dialog, the Request-URI user the watched number)
// and reads each NOTIFY's application/dialog-info+xml as a lamp: idle
// (terminated), ringing (early, recipient), calling (trying, initiator)
// or talking (confirmed).

// LineState is a watched line as one NOTIFY showed it.
type LineState struct {
	// State is the strongest dialog state: trying, proceeding, early,
	// confirmed, or terminated when no dialog is live (idle).
	State string
	// Direction is that dialog's: initiator (the line called) or
	// recipient (the line was called); "" when idle.
	Direction string
	// Version is the dialog-info version (the subscription's NOTIFY count).
	Version uint32
	// Terminated: the NOTIFY ended the subscription.
	Terminated bool
}

// Watch subscribes the phone to number's dialog state for expires.
func (p *Phone) Watch(ctx context.Context, number string, expires time.Duration) (*Subscription, error) {
	return p.SubscribeTo(ctx, dialoginfo.Event, number, expires)
}

// Line is the line state n shows; ok is false when n carries no readable
// dialog-info.
func (n Notify) Line() (LineState, bool) {
	if n.DialogErr != nil || n.Dialog.State == "" {
		return LineState{}, false
	}
	st, dir := n.Dialog.Summary()
	return LineState{State: st, Direction: dir, Version: n.Dialog.Version, Terminated: n.Terminated()}, true
}

// Lines returns the line states of the subscription's NOTIFYs so far, in
// the order they came.
func (s *Subscription) Lines() []LineState {
	var out []LineState
	for _, n := range s.Notifies() {
		if l, ok := n.Line(); ok {
			out = append(out, l)
		}
	}
	return out
}

// WaitLine waits until the line's current state — that of the NOTIFY
// with the highest version so far (NOTIFYs may cross on UDP) — is state
// (and direction, unless ""). A state the line was in before does not
// count: after a call, "idle" is the idle that follows it, not the one the
// subscription started with.
func (s *Subscription) WaitLine(ctx context.Context, state, direction string) (LineState, error) {
	for {
		s.mu.Lock()
		ch := s.changed
		ns := append([]Notify(nil), s.notifies...)
		s.mu.Unlock()
		if l, ok := currentLine(ns); ok && l.State == state && (direction == "" || l.Direction == direction) {
			return l, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return LineState{}, fmt.Errorf("wait for line state %s: %w", state, ctx.Err())
		}
	}
}

// currentLine is the line state of the NOTIFY with the highest version.
func currentLine(ns []Notify) (LineState, bool) {
	var cur LineState
	found := false
	for _, n := range ns {
		if l, ok := n.Line(); ok && (!found || l.Version >= cur.Version) {
			cur, found = l, true
		}
	}
	return cur, found
}
