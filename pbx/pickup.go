package pbx

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/pbx/internal/call"
	"pbxlab/pbx/internal/media"
	"pbxlab/pbx/internal/services"
	"pbxlab/pbx/internal/services/pickup"
	"pbxlab/pbx/internal/sipx"
)

// Call pickup (manual ch. 16; policy in pbx/internal/services/pickup):
// while A calls B and B rings, C dials *8*B# (or *8# when B is in C's
// pickup group) and takes the call. The PBX finds the ringing call, checks
// the manual's rules, stops B's ringing (CANCEL with Reason: SIP
// ;cause=200 ;text="Call completed elsewhere", RFC 3326), answers A and C
// with its own media and joins the two endpoints in a two-party room of
// the media server (the manual: pickup needs the media server). A never
// gets a re-INVITE: its 200 already carries the media server's address.
//
// Answers (a Reject is intercepted with the cause's prompt):
//   - not a subscriber, no pickup right, *8# outside any group: 403;
//   - A's outgoing call authority (or inter-group restriction) does not
//     allow A to call C: 403, and B rings on;
//   - *8*<num># for a number that is no subscriber and rings nothing
//     (num may be a hunt group's): 404;
//   - a malformed code (*8*12a#): 484;
//   - media server off: 486 (busy tone);
//   - the call may be one the PBX placed to B itself (a sequential hunt
//     group's member, a forward's target: pickup_unilateral.go);
//   - nothing ringing that C may take: 480; a call ringing several parties
//     at once (ring-all hunt group) is not picked up (480, logged why).

// pickupWait bounds the search for the ringing calls.
const pickupWait = 2 * time.Second

// routePickup takes a pickup code; ok is false for any other number.
func (s *Server) routePickup(ctx context.Context, in call.Incoming) (call.Decision, bool) {
	code := pickup.Parse(in.Dialled)
	if code.Op == pickup.None || s.pickup == nil {
		return call.Decision{}, false
	}
	reject := func(code int, reason string, err error) (call.Decision, bool) {
		s.log.Info("pickup refused", "picker", in.Caller.Number, "dialled", in.Dialled, "status", code, "error", err)
		return call.Decision{Kind: call.Reject, Callee: in.Dialled, Err: &sipx.StatusError{Code: code, Reason: reason, Err: err}}, true
	}
	picker := in.Caller.Number
	if _, sub := s.subscriber(picker); !sub || in.Caller.Trusted {
		return reject(403, "Forbidden", fmt.Errorf("pickup by %q: %w", picker, sipx.ErrForbidden))
	}
	if code.Op == pickup.Malformed {
		return reject(484, "Address Incomplete", fmt.Errorf("pickup code %q: %w", in.Dialled, pickup.ErrMalformed))
	}
	targets, err := s.pickup.Targets(picker, code)
	if err != nil {
		return reject(403, "Forbidden", err)
	}
	if err := s.media.Require(); err != nil {
		s.log.Info("pickup refused: media server off", "picker", picker)
		return call.Decision{Kind: call.Reject, Callee: in.Dialled, Err: err}, true
	}
	wctx, cancel := context.WithTimeout(ctx, pickupWait)
	defer cancel()
	var found *call.Ringing
	simultaneous := false
	rings := s.ringsAt(wctx, targets)
	for _, r := range s.calls.Ringing(wctx) {
		if !(slices.Contains(targets, r.Callee) || rings(r)) || r.Caller == picker {
			continue
		}
		if r.Simultaneous {
			simultaneous = true
			continue
		}
		found = &r
		break
	}
	if found == nil && !simultaneous && code.Op == pickup.Directed {
		if _, ok := s.subscriber(code.Number); !ok {
			return reject(404, "Not Found", fmt.Errorf("pickup of %s: %w", code.Number, sipx.ErrNotFound))
		}
	}
	if found == nil {
		why := fmt.Errorf("pickup by %s of %v: %w", picker, targets, sipx.ErrUnavailable)
		if simultaneous {
			why = fmt.Errorf("pickup by %s: the call rings several parties at once (manual ch. 16: no pickup): %w", picker, sipx.ErrUnavailable)
		}
		return reject(480, "Temporarily Unavailable", why)
	}
	if err := s.callerMayCall(ctx, found.Caller, picker); err != nil {
		return reject(403, "Forbidden", err)
	}
	k, caller := found.Call, found.Caller
	s.log.Info("pickup", "picker", picker, "caller", caller, "ringing", found.Callee)
	return call.Decision{Kind: call.ToService, Callee: in.Dialled, Service: func(c *call.Call) {
		s.pickUp(c, k, picker)
	}}, true
}

// callerMayCall asks the Routed services (outgoing call authority,
// inter-group restriction) whether caller may call picker (the manual:
// if A's outgoing call authority does not allow A to call C, C cannot
// pick up).
func (s *Server) callerMayCall(ctx context.Context, caller, picker string) error {
	_, sub := s.subscriber(caller)
	sc := &services.Call{Caller: caller, Subscriber: sub, Dialled: picker, Called: picker, Callee: picker, Internal: true}
	v, err := s.svc.Routed(ctx, sc)
	if err != nil {
		return fmt.Errorf("pickup: %s calling %s: %w", caller, picker, err)
	}
	if v.Kind == services.Refuse {
		return fmt.Errorf("pickup: %s may not call %s (%s): %w", caller, picker, v.By, v.Err)
	}
	return nil
}

// pickUp runs on the picker's call c: answer it with the PBX's media,
// take the ringing call k (its caller answered with the PBX's media too)
// and join the two endpoints.
func (s *Server) pickUp(c *call.Call, k *call.Call, picker string) {
	epC, ansC, err := s.media.Terminate(c, c.Caller(), c.Offer())
	if err != nil {
		c.Reject(err)
		return
	}
	k.Do(func() {
		caller := k.CallerNumber()
		var epA *media.Endpoint
		err := k.PickUp(picker, func(string) error { return nil }, func(a *call.Leg) error {
			ep, body, err := s.media.Terminate(k, a, k.Offer())
			if err != nil {
				return err
			}
			epA = ep
			return k.Answer(a, body, s.lateAnswer(k, a))
		})
		c.Do(func() {
			if err != nil {
				if errors.Is(err, call.ErrNotRinging) {
					err = &sipx.StatusError{Code: 480, Reason: "Temporarily Unavailable", Err: err}
				}
				c.Log().Info("pickup failed", "error", err)
				c.Reject(err)
				return
			}
			if err := c.Answer(c.Caller(), ansC, s.lateAnswer(c, c.Caller())); err != nil {
				c.Log().Warn("pickup: answer the picker", "error", err)
				k.Do(func() { k.Hangup("pickup: the picker left") })
				return
			}
			s.blfPickedUp(c, k, caller, picker) // the busy lamp field (presence.go)
			s.joinPickup(c, k, epA, epC, picker)
		})
	})
}

// lateAnswer takes the answer in the ACK of a leg whose INVITE had no
// offer (the 200 carried the PBX's).
func (s *Server) lateAnswer(c *call.Call, l *call.Leg) func(*sip.Request) {
	if len(c.Offer()) > 0 {
		return nil
	}
	return func(ack *sip.Request) {
		if err := s.media.TerminateAnswer(c, l, sdpOf(ack)); err != nil {
			c.Hangup("pickup: no usable answer in the ACK")
		}
	}
}

// joinPickup puts A's and C's endpoints in a two-party room; either call
// ending ends the other and the room.
func (s *Server) joinPickup(c, k *call.Call, epA, epC *media.Endpoint, picker string) {
	room := media.NewRoom(media.RoomConfig{Name: "pickup " + picker, MaxParties: 2},
		media.WithRoomClock(s.clock), media.WithRoomLogger(s.log), media.WithRoomAGC(false))
	for _, ep := range []*media.Endpoint{epA, epC} {
		if _, err := room.Join(ep); err != nil {
			c.Log().Warn("pickup: join", "error", err)
		}
	}
	go func() {
		select {
		case <-c.Done():
			k.Do(func() { hangupOnce(k, "pickup: the picker hung up") })
		case <-k.Done():
			c.Do(func() { hangupOnce(c, "pickup: the caller hung up") })
		}
		if err := room.Close(); err != nil {
			s.log.Debug("pickup: close room", "error", err)
		}
	}()
}

// hangupOnce hangs c up unless it ended already (on its executor).
func hangupOnce(c *call.Call, why string) {
	select {
	case <-c.Done():
	default:
		c.Hangup(why)
	}
}
