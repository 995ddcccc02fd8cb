package services

import (
	"context"
	"fmt"
)

// The terminating side: once number analysis found that a call is for a
// subscriber (Call.Callee), the services of the called party act on it —
// do not disturb, call forwarding. Their switches are asked for the
// CALLEE's number (the service is the called subscriber's), not the
// caller's.
//
//   - Terminating runs before the callee's contacts ring: a service may
//     refuse the call (DND: 486), divert it at once (unconditional
//     forwarding) or bound how long it rings (forwarding on no reply).
//   - Failed runs when the callee's contacts failed (or a Terminating hook
//     refused the call as busy): a service may divert it (forwarding on
//     busy, no reply, unreachable).
//
// The PBX (pbx/forward.go) turns a Divert into a new number analysis of
// Verdict.Number, on the one redirection mechanism the call layer has
// (call.Decision.Diversion: 181, Diversion header, loop detection).

// Failure is why the callee's contacts failed, as the Failed point sees it.
type Failure uint8

// Failures.
const (
	// Busy: every contact answered 486/600, or the callee is busy for a
	// service (DND).
	Busy Failure = iota + 1
	// NoReply: the contacts rang for the no-reply time (or the call's
	// no-answer timer), or answered 408/480.
	NoReply
	// Unreachable: the callee has no contact (not registered), or none
	// could be reached.
	Unreachable
)

var failureNames = [...]string{"", "busy", "no-reply", "unreachable"}

func (f Failure) String() string {
	if int(f) < len(failureNames) && f > 0 {
		return failureNames[f]
	}
	return fmt.Sprintf("failure(%d)", f)
}

// Terminating is the hook of a service of the called subscriber, run
// before the callee rings. Call.Callee is the subscriber; Call.Diverted
// lists the numbers the call was diverted from so far.
type Terminating interface {
	Service
	Terminating(ctx context.Context, c *Call) (Verdict, error)
}

// Failed is the hook of a service of the called subscriber, run when the
// callee's contacts failed with f.
type Failed interface {
	Service
	Failed(ctx context.Context, c *Call, f Failure) (Verdict, error)
}

// Terminating runs the Terminating hooks of the services switched on for
// c.Callee: the first verdict other than Continue ends the run; the
// shortest Ring of the Continue verdicts is returned with the final
// Continue. An emergency call is seen by no service.
func (ch *Chain) Terminating(ctx context.Context, c *Call) (Verdict, error) {
	var out Verdict
	if c.Emergency || c.Callee == "" {
		return out, nil
	}
	for _, s := range ch.svcs {
		h, ok := s.(Terminating)
		if !ok || !ch.onCallee(s, c) {
			continue
		}
		v, err := h.Terminating(ctx, c)
		if err != nil {
			return Verdict{}, fmt.Errorf("service %s: %w", s.Name(), err)
		}
		v.By = s.Name()
		switch v.Kind {
		case Continue:
			if v.Ring > 0 && (out.Ring == 0 || v.Ring < out.Ring) {
				out.Ring, out.By = v.Ring, v.By
			}
		case Rewrite, Feature:
			return Verdict{}, fmt.Errorf("service %s: %s at the terminating point: %w", s.Name(), v.Kind, ErrLateRewrite)
		default:
			return v, nil
		}
	}
	return out, nil
}

// Failed runs the Failed hooks of the services switched on for c.Callee:
// the first verdict other than Continue is the answer.
func (ch *Chain) Failed(ctx context.Context, c *Call, f Failure) (Verdict, error) {
	if c.Emergency || c.Callee == "" {
		return Verdict{}, nil
	}
	for _, s := range ch.svcs {
		h, ok := s.(Failed)
		if !ok || !ch.onCallee(s, c) {
			continue
		}
		v, err := h.Failed(ctx, c, f)
		if err != nil {
			return Verdict{}, fmt.Errorf("service %s: %w", s.Name(), err)
		}
		v.By = s.Name()
		switch v.Kind {
		case Continue:
		case Rewrite, Feature:
			return Verdict{}, fmt.Errorf("service %s: %s on failure: %w", s.Name(), v.Kind, ErrLateRewrite)
		default:
			return v, nil
		}
	}
	return Verdict{}, nil
}

// onCallee asks the switches about s for the called subscriber.
func (ch *Chain) onCallee(s Service, c *Call) bool {
	return ch.sw == nil || ch.sw.On(s.Name(), c.Callee)
}
