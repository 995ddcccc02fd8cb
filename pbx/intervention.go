package pbx

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/pbx/internal/call"
	"pbxlab/pbx/internal/media"
	"pbxlab/pbx/internal/services"
	"pbxlab/pbx/internal/services/intervention"
	"pbxlab/pbx/internal/sipx"
)

// Call intervention (manual ch. 17; policy in
// pbx/internal/services/intervention, switch ci): while A talks to B, C
// dials *89*<A># (or *89*ABCD<A># with a call password). The PBX finds
// A's two-party call, answers C with its own media, takes A's and B's
// anchored endpoints apart, seats A and C in a two-party room of the
// media server and plays B the call-waiting music (media.moh). Neither A
// nor B gets a re-INVITE: their media already flows through the PBX.
//
// Leaving (project default; the manual says C dials *89#): C sends *89#
// as DTMF in the intervention call (RFC 4733 telephone-events, or SIP
// INFO application/dtmf-relay or application/dtmf); the PBX relinks A and
// B, stops the music and ends C's call (BYE). A phone that cannot send
// DTMF may dial *89# as a new call from the intervener's number: it is
// confirmed like a feature code. If C hangs up instead, the original call
// ends (BYE to A and B); if A or B hangs up, C's call ends too.
//
// Answers (a Reject is intercepted with the cause's prompt):
//   - service switched off for the caller, no intervention right, a wrong
//     password, A protected, A is the caller: 403 (the chain refuses);
//   - a code that does not parse: 484; a number that is no subscriber: 404;
//   - the intervener may not call A (outgoing call authority, inter-group
//     restriction): 403;
//   - media server off: 486 (busy tone);
//   - A in no answered call: 480; A in a call the PBX answered itself (a
//     conference room, an IVR, voicemail, a picked-up call), or already
//     intervened on: 486; A's call not anchored (media direct): 480;
//   - *89# as a new call with no intervention of the caller's: 480.

// ciWait bounds the search for A's call.
const ciWait = 2 * time.Second

// ciAckPoll is how often ciFind asks again for a call whose ACK is due.
const ciAckPoll = 10 * time.Millisecond

// ciState is the intervention service and the interventions in progress.
type ciState struct {
	svc *intervention.Service
	mu  sync.Mutex
	on  map[string]*ciSession // by the original call's ID
}

// ciSession is one intervention: C's call c in the original call k.
type ciSession struct {
	s          *Server
	c, k       *call.Call
	intervener string // the number of C's phone
	target     string
	epA, epB   *media.Endpoint
	epC        *media.Endpoint

	mu      sync.Mutex // guards what follows
	room    *media.Room
	music   *media.Player
	stopped bool   // stopMedia ran
	digits  string // the DTMF C sent lately (the last few)

	left atomic.Bool
}

// claim registers ss unless its original call is intervened on already.
func (st *ciState) claim(ss *ciSession) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.on == nil {
		st.on = map[string]*ciSession{}
	}
	if st.on[ss.k.ID()] != nil {
		return false
	}
	st.on[ss.k.ID()] = ss
	return true
}

func (st *ciState) busy(id string) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.on[id] != nil
}

func (st *ciState) release(ss *ciSession) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.on[ss.k.ID()] == ss {
		delete(st.on, ss.k.ID())
	}
}

// find is the session whose intervener call is c (c non-nil) or whose
// intervener is number.
func (st *ciState) find(c *call.Call, number string) *ciSession {
	st.mu.Lock()
	defer st.mu.Unlock()
	for _, ss := range st.on {
		if (c != nil && ss.c == c) || (c == nil && ss.intervener == number) {
			return ss
		}
	}
	return nil
}

// routeIntervention takes an intervention code (after the services'
// Dialled point, which refused what the caller may not dial); ok is false
// for any other number.
func (s *Server) routeIntervention(ctx context.Context, in call.Incoming) (call.Decision, bool) {
	if s.ci.svc == nil {
		return call.Decision{}, false
	}
	_, sub := s.subscriber(in.Caller.Number)
	req, err := s.ci.svc.Resolve(in.Caller.Number, sub && !in.Caller.Trusted, in.Dialled)
	if err == nil && req.Op == intervention.None {
		return call.Decision{}, false
	}
	reject := func(err error) (call.Decision, bool) {
		s.log.Info("intervention refused", "caller", in.Caller.Number, "dialled", in.Dialled, "error", err)
		return call.Decision{Kind: call.Reject, Callee: in.Dialled, Err: err}, true
	}
	if err != nil {
		return reject(intervention.Refusal(err))
	}
	if err := s.media.Require(); err != nil {
		return reject(err)
	}
	if req.Op == intervention.Leave {
		ss := s.ci.find(nil, in.Caller.Number)
		if ss == nil {
			return reject(&sipx.StatusError{Code: 480, Reason: "Temporarily Unavailable",
				Err: fmt.Errorf("leave intervention: %s intervenes nowhere: %w", in.Caller.Number, sipx.ErrUnavailable)})
		}
		ss.leave("*89# dialled")
		return call.Decision{Kind: call.ToService, Callee: in.Dialled, Service: s.confirmFeature}, true
	}
	if err := s.ciMayCall(ctx, req.Intervener, req.Target); err != nil {
		return reject(&sipx.StatusError{Code: 403, Reason: "Forbidden", Err: err})
	}
	e, idx, why := s.ciFind(ctx, req.Target, in.Caller.Number)
	if why != nil {
		return reject(why)
	}
	s.log.Info("intervention", "intervener", in.Caller.Number, "as", req.Intervener, "target", req.Target,
		"partner", e.Parties[1-idx], "password", req.Password)
	ss := &ciSession{s: s, k: e.Call, intervener: in.Caller.Number, target: req.Target}
	la, lb := e.Legs[idx], e.Legs[1-idx]
	return call.Decision{Kind: call.ToService, Callee: in.Dialled, Service: func(c *call.Call) {
		ss.c = c
		s.intervene(ss, la, lb)
	}}, true
}

// ciMayCall asks the Routed services (outgoing call authority,
// inter-group restriction) whether the intervener may call the target.
func (s *Server) ciMayCall(ctx context.Context, intervener, target string) error {
	sc := &services.Call{Caller: intervener, Subscriber: true, Dialled: target, Called: target, Callee: target, Internal: true}
	v, err := s.svc.Routed(ctx, sc)
	if err != nil {
		return fmt.Errorf("intervention: %s calling %s: %w", intervener, target, err)
	}
	if v.Kind == services.Refuse {
		return fmt.Errorf("intervention: %s may not call %s (%s): %w", intervener, target, v.By, v.Err)
	}
	return nil
}

// ciFind is target's two-party call and target's index in it, or the
// refusal: 480 in no call, 486 in a service's call or intervened on, 403
// when the intervener is the partner. A call whose 2xx still waits for
// its ACK (C dialled as A's phone answered) is asked again every
// ciAckPoll until the ACK comes, within ciWait.
func (s *Server) ciFind(ctx context.Context, target, caller string) (call.Established, int, error) {
	wctx, cancel := context.WithTimeout(ctx, ciWait)
	defer cancel()
	for {
		e, idx, pending, err := ciScan(s.calls.Established(wctx), target, caller, s.ci.busy)
		if !pending {
			return e, idx, err
		}
		select {
		case <-wctx.Done():
			return call.Established{}, 0, &sipx.StatusError{Code: 480, Reason: "Temporarily Unavailable",
				Err: fmt.Errorf("intervention on %s: its call's answer was never acknowledged: %w", target, sipx.ErrUnavailable)}
		case <-time.After(ciAckPoll):
		}
	}
}

// ciScan finds target's call among es (see ciFind); pending when it is
// answered but not yet ACKed.
func ciScan(es []call.Established, target, caller string, busy func(id string) bool) (call.Established, int, bool, error) {
	service := ""
	for _, e := range es {
		if e.Service {
			if e.Parties[0] == target {
				service = e.Callee
			}
			continue
		}
		for i, p := range e.Parties {
			if p != target {
				continue
			}
			switch {
			case e.Parties[1-i] == caller:
				return e, 0, false, &sipx.StatusError{Code: 403, Reason: "Forbidden",
					Err: fmt.Errorf("intervention on %s by its own partner: %w", target, intervention.ErrSelf)}
			case busy(e.Call.ID()):
				return e, 0, false, &sipx.StatusError{Code: 486, Reason: "Busy Here",
					Err: fmt.Errorf("intervention on %s: intervened on already: %w", target, sipx.ErrBusy)}
			case e.Pending:
				return e, i, true, nil
			}
			return e, i, false, nil
		}
	}
	if service != "" {
		return call.Established{}, 0, false, &sipx.StatusError{Code: 486, Reason: "Busy Here",
			Err: fmt.Errorf("intervention on %s: in a call to %s (a conference or another service): %w", target, service, sipx.ErrBusy)}
	}
	return call.Established{}, 0, false, &sipx.StatusError{Code: 480, Reason: "Temporarily Unavailable",
		Err: fmt.Errorf("intervention on %s: in no answered call: %w", target, sipx.ErrUnavailable)}
}

// intervene runs on C's call: answer it with the PBX's media, take A's and
// B's endpoints of the original call, seat A and C in a room and play B
// the music.
func (s *Server) intervene(ss *ciSession, la, lb *call.Leg) {
	c, k := ss.c, ss.k
	epC, ansC, err := s.media.Terminate(c, c.Caller(), c.Offer())
	if err != nil {
		c.Reject(err)
		return
	}
	ss.epC = epC
	k.Do(func() {
		epA, epB := s.media.Endpoint(k, la), s.media.Endpoint(k, lb)
		ended := isDone(k)
		c.Do(func() {
			switch {
			case ended:
				c.Reject(&sipx.StatusError{Code: 480, Reason: "Temporarily Unavailable",
					Err: fmt.Errorf("intervention on %s: the call ended: %w", ss.target, sipx.ErrUnavailable)})
				return
			case epA == nil || epB == nil:
				c.Reject(&sipx.StatusError{Code: 480, Reason: "Temporarily Unavailable",
					Err: fmt.Errorf("intervention on %s: its call's media is not anchored: %w", ss.target, media.ErrNotAnchored)})
				return
			}
			ss.epA, ss.epB = epA, epB
			if !s.ci.claim(ss) {
				c.Reject(&sipx.StatusError{Code: 486, Reason: "Busy Here",
					Err: fmt.Errorf("intervention on %s: intervened on already: %w", ss.target, sipx.ErrBusy)})
				return
			}
			if err := c.Answer(c.Caller(), ansC, s.lateAnswer(c, c.Caller())); err != nil {
				c.Log().Warn("intervention: answer the intervener", "error", err)
				s.ci.release(ss)
				c.Hangup("intervention: " + err.Error())
				return
			}
			if err := ss.start(); err != nil {
				c.Log().Warn("intervention: media", "error", err)
				ss.leave("intervention: " + err.Error())
			}
			go ss.watch()
		})
	})
}

// isDone reports whether c ended.
func isDone(c *call.Call) bool {
	select {
	case <-c.Done():
		return true
	default:
		return false
	}
}

// start splits A from B: A and C in a two-party room, B hears the
// call-waiting music; C's DTMF is listened to for *89#. Nothing starts
// once stopMedia ran.
func (ss *ciSession) start() error {
	s := ss.s
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.stopped {
		return nil
	}
	ss.epC.SetReceiver(media.NewDTMFReceiver(func(d byte) { ss.c.Do(func() { ss.digit(d) }) }, s.clock.Now))
	for _, ep := range []*media.Endpoint{ss.epA, ss.epB} {
		ep.Isolate(true) // a re-INVITE of the A–B call must not relink them
		ep.Unlink()
	}
	music, err := s.media.PlayWaitingMusic(ss.epB)
	if err != nil {
		return err
	}
	ss.music = music
	ss.room = media.NewRoom(media.RoomConfig{Name: "intervention " + ss.target, MaxParties: 2},
		media.WithRoomClock(s.clock), media.WithRoomLogger(s.log), media.WithRoomAGC(false))
	for _, ep := range []*media.Endpoint{ss.epA, ss.epC} {
		if _, err := ss.room.Join(ep); err != nil {
			return fmt.Errorf("intervention: join: %w", err)
		}
	}
	return nil
}

// digit takes one DTMF digit C sent; *89# leaves.
func (ss *ciSession) digit(d byte) {
	ss.mu.Lock()
	ss.digits += string(d)
	if n := len(ss.digits); n > len(intervention.LeaveCode) {
		ss.digits = ss.digits[n-len(intervention.LeaveCode):]
	}
	done := strings.HasSuffix(ss.digits, intervention.LeaveCode)
	ss.mu.Unlock()
	if done {
		ss.leave("*89# sent")
	}
}

// stopMedia takes the room and the music down; relink gives A and B each
// other back. Idempotent.
func (ss *ciSession) stopMedia(relink bool) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.stopped {
		return
	}
	ss.stopped = true
	if ss.room != nil {
		if err := ss.room.Close(); err != nil {
			ss.s.log.Debug("intervention: close room", "error", err)
		}
	}
	if ss.epC != nil {
		ss.epC.SetReceiver(nil)
	}
	if ss.music != nil {
		ss.music.Stop()
	}
	if ss.epA != nil && ss.epB != nil {
		ss.epA.Isolate(false)
		ss.epB.Isolate(false)
		if relink {
			media.Link(ss.epA, ss.epB)
		}
	}
}

// leave ends the intervention the way the manual's *89# does: A and B
// talk again, C's call ends.
func (ss *ciSession) leave(why string) {
	if ss.left.Swap(true) {
		return
	}
	ss.s.log.Info("intervention left", "intervener", ss.intervener, "target", ss.target, "why", why)
	ss.k.Do(func() {
		if !isDone(ss.k) {
			ss.stopMedia(true)
		}
		ss.c.Do(func() { hangupOnce(ss.c, "intervention left: "+why) })
	})
}

// watch ends the original call when C hangs up (not having left), and C's
// call when the original call ends.
func (ss *ciSession) watch() {
	select {
	case <-ss.c.Done():
		if !ss.left.Load() {
			ss.k.Do(func() {
				ss.stopMedia(false)
				hangupOnce(ss.k, "intervention: the intervener hung up")
			})
		}
	case <-ss.k.Done():
		ss.stopMedia(false)
		ss.c.Do(func() { hangupOnce(ss.c, "intervention: the original call ended") })
	}
	<-ss.c.Done()
	ss.s.ci.release(ss)
}

// interventionInfo takes SIP INFO DTMF of an intervener's call.
func (s *Server) interventionInfo(c *call.Call, req *sip.Request) (*sip.Response, bool) {
	ss := s.ci.find(c, "")
	if ss == nil {
		return nil, false
	}
	d, res, ok := media.AnswerDTMFInfo(req)
	if ok {
		c.Do(func() { ss.digit(d) })
	}
	return res, true
}
