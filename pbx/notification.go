package pbx

import (
	"context"
	"fmt"

	"github.com/emiago/sipgo/sip"

	"pbxlab/pbx/internal/call"
	"pbxlab/pbx/internal/media"
	"pbxlab/pbx/internal/services"
	"pbxlab/pbx/internal/services/notification"
	"pbxlab/pbx/internal/sipx"
)

// Group notification (the manual's ch. 23; the schedule and the tries are
// pbx/internal/services/notification): a local notification's receivers
// hear its media file in a call the PBX places (originate.go) and replay
// it by dialling the access code; a remote one's deliverer dials the
// access code, the PBX answers him in a room of his own and rings every
// receiver into it (listen only), and his hang-up ends every receiver's
// call. With the media server off the access code gets 486 (busy tone).

// liveNotice is a remote notification being spoken.
type liveNotice struct {
	room  *media.Room
	done  <-chan struct{} // the deliverer's call is over
	calls []*call.Call    // the receivers' calls
}

// ringNotification is the notification service's Ringer.
func (s *Server) ringNotification(ctx context.Context, n notification.Notification, receiver string, done func(bool)) {
	r := ringOut{Number: receiver, Caller: n.AccessCode, Ring: s.ringOuts.notify.Config().Ring, Media: []string{n.Media}}
	if r.Caller == "" {
		r.Caller = notification.Name
	}
	if n.Mode == notification.Remote {
		s.ringOuts.mu.Lock()
		live := s.ringOuts.live[n.Name]
		s.ringOuts.mu.Unlock()
		if live == nil {
			done(false)
			return
		}
		r.Up = func(c *call.Call, l *call.Leg, ep *media.Endpoint) {
			select {
			case <-live.done:
				c.Hangup("notification over")
				return
			default:
			}
			if _, err := live.room.Join(ep, media.ListenOnly()); err != nil {
				c.Hangup("notification: " + err.Error())
			}
		}
		c := s.ringAndPlay(ctx, r, func(res ringResult) { done(res.Answered) })
		if c != nil {
			s.ringOuts.mu.Lock()
			live.calls = append(live.calls, c)
			s.ringOuts.mu.Unlock()
			select {
			case <-live.done: // the deliverer left while this call was placed
				c.Do(func() { c.Hangup("the deliverer hung up") })
			default:
			}
		}
		return
	}
	s.ringAndPlay(ctx, r, func(res ringResult) { done(res.Answered) })
}

// routeNotification takes a dialled access code: refused for an anonymous
// caller, a caller the service is switched off for, one who is no
// receiver (local) or not the deliverer (remote); 486 with the media
// server off; else the local file plays, or the deliverer goes live.
func (s *Server) routeNotification(_ context.Context, in call.Incoming) (call.Decision, bool) {
	svc := s.ringOuts.notify
	if svc == nil {
		return call.Decision{}, false
	}
	n, ok := svc.ByCode(in.Dialled)
	if !ok {
		return call.Decision{}, false
	}
	caller := in.Caller.Number
	reject := func(err error) (call.Decision, bool) {
		s.log.Info("notification access code refused", "notification", n.Name, "caller", caller, "error", err)
		return call.Decision{Kind: call.Reject, Callee: in.Dialled, Err: err}, true
	}
	sub, isSub := s.subscriber(caller)
	anonymous := !isSub || in.Caller.Trusted || sub.CLIR
	if !anonymous && !s.ringOuts.sw.On(notification.Name, caller) {
		return reject(&sipx.StatusError{Code: 403, Reason: "Forbidden", Err: fmt.Errorf("notification %s from %s: %w", n.Name, caller, services.ErrSwitchedOff)})
	}
	if v := svc.Access(n, caller, anonymous); v.Kind == services.Refuse {
		return reject(v.Err)
	}
	if err := s.media.Require(); err != nil {
		return reject(err)
	}
	if n.Mode == notification.Remote {
		return call.Decision{Kind: call.ToService, Callee: in.Dialled, Service: func(c *call.Call) { s.deliverLive(c, n) }}, true
	}
	return call.Decision{Kind: call.ToService, Callee: in.Dialled, Service: func(c *call.Call) {
		s.answerWithMedia(c, func(ep *media.Endpoint) {
			s.playThenHangup(c, ep, ringOut{Media: []string{n.Media}}, func() {})
		})
	}}, true
}

// deliverLive answers the deliverer of remote notification n, seats him
// in a room of its own and rings the receivers into it; his hang-up ends
// the notification for all.
func (s *Server) deliverLive(c *call.Call, n notification.Notification) {
	room := media.NewRoom(media.RoomConfig{Name: "notification " + n.Name}, media.WithRoomClock(s.clock),
		media.WithRoomLogger(s.log.With("component", "notification")))
	live := &liveNotice{room: room, done: c.Done()}
	s.answerWithMedia(c, func(ep *media.Endpoint) {
		if _, err := room.Join(ep); err != nil {
			c.Hangup("notification: " + err.Error())
			return
		}
		s.ringOuts.mu.Lock()
		s.ringOuts.live[n.Name] = live
		s.ringOuts.mu.Unlock()
		s.ringOuts.notify.Deliver(n.Name)
		go func() {
			<-live.done
			s.ringOuts.notify.End(n.Name)
			s.ringOuts.mu.Lock()
			if s.ringOuts.live[n.Name] == live {
				delete(s.ringOuts.live, n.Name)
			}
			calls := live.calls
			s.ringOuts.mu.Unlock()
			for _, rc := range calls {
				rc.Do(func() { rc.Hangup("the deliverer hung up") })
			}
			_ = room.Close()
		}()
	})
}

// answerWithMedia runs on the call's executor: it answers the caller with
// the PBX's own media (the media server the far end) and hands the
// endpoint to then once the ACK came.
func (s *Server) answerWithMedia(c *call.Call, then func(ep *media.Endpoint)) {
	ep, body, err := s.media.Terminate(c, c.Caller(), c.Offer())
	if err != nil {
		c.Log().Warn("cannot answer", "error", err)
		c.Reject(err)
		return
	}
	lateOffer := len(c.Offer()) == 0
	onAck := func(ack *sip.Request) {
		if lateOffer {
			if err := s.media.TerminateAnswer(c, c.Caller(), ack.Body()); err != nil {
				c.Hangup("no usable answer in the ACK")
				return
			}
		}
		then(ep)
	}
	if err := c.Answer(c.Caller(), body, onAck); err != nil {
		c.Hangup(err.Error())
	}
}
