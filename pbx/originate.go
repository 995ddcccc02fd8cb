package pbx

import (
	"context"
	"fmt"
	"sync"
	"time"

	"pbxlab/pbx/internal/call"
	"pbxlab/pbx/internal/media"
)

// The PBX calls a subscriber and plays media (wake-up alarms, group
// notifications): the subscriber's contacts ring in parallel (a placed
// call, call.Manager.Place), the first to answer hears the media, then
// the PBX hangs up. The outcome tells the service whether to try again.

// ringOut is one attempt.
type ringOut struct {
	// Number is the subscriber called; Caller the number it sees (From).
	Number, Caller string
	// Ring bounds the ringing (0: call.no_answer_timeout).
	Ring time.Duration
	// Media are the media IDs played in turn; empty: Tone for ToneFor.
	Media   []string
	Tone    media.ToneKind
	ToneFor time.Duration
	// Up, when set, replaces the playing: the answered leg is the
	// service's (the endpoint is the PBX's end of it); it hangs up itself.
	Up func(c *call.Call, l *call.Leg, ep *media.Endpoint)
}

// ringResult is how an attempt ended.
type ringResult struct {
	// Answered: the subscriber answered (and heard the media, or hung up
	// while it played).
	Answered bool
	// Played: the media played to its end.
	Played bool
	// Code is the failure's status when not answered (408 no answer, 486
	// busy, 480 not registered, 503 media server off or unreachable).
	Code int
}

// ringAndPlay places the call of r; done gets the outcome once the call is
// over (in its own goroutine). It returns the placed call (nil when it
// could not start: done has the outcome then too).
func (s *Server) ringAndPlay(ctx context.Context, r ringOut, done func(ringResult)) *call.Call {
	if err := s.media.Require(); err != nil {
		s.log.Warn("ring out: media server off", "number", r.Number)
		done(ringResult{Code: 503})
		return nil
	}
	targets, err := s.locate(ctx, r.Number)
	if err == nil {
		targets, _ = s.reachableTargets(targets)
	}
	if err != nil || len(targets) == 0 {
		s.log.Info("ring out: subscriber not reachable", "number", r.Number, "error", err)
		done(ringResult{Code: 480})
		return nil
	}
	var (
		mu  sync.Mutex
		res ringResult
		ep  *media.Endpoint
	)
	set := func(f func(*ringResult)) {
		mu.Lock()
		defer mu.Unlock()
		f(&res)
	}
	p := call.Placement{
		Caller: r.Caller, Callee: r.Number, Targets: targets, Ring: r.Ring,
		Answer: func(c *call.Call, l *call.Leg, offer []byte) ([]byte, error) {
			e, ans, err := s.media.Terminate(c, l, offer)
			if err != nil {
				return nil, fmt.Errorf("ring out %s: %w", r.Number, err)
			}
			ep = e
			return ans, nil
		},
		Up: func(c *call.Call, l *call.Leg) {
			set(func(res *ringResult) { res.Answered = true })
			if r.Up != nil {
				r.Up(c, l, ep)
				return
			}
			s.playThenHangup(c, ep, r, func() { set(func(res *ringResult) { res.Played = true }) })
		},
		Failed: func(code int) { set(func(res *ringResult) { res.Code = code }) },
	}
	c, err := s.calls.Place(ctx, p)
	if err != nil {
		s.log.Warn("ring out", "number", r.Number, "error", err)
		done(ringResult{Code: 503})
		return nil
	}
	go func() {
		<-c.Done()
		mu.Lock()
		out := res
		mu.Unlock()
		done(out)
	}()
	return c
}

// playThenHangup plays r's media to ep and hangs up at its end; played
// runs when it played to the end (not when the subscriber hung up first).
func (s *Server) playThenHangup(c *call.Call, ep *media.Endpoint, r ringOut, played func()) {
	end := func(err error) {
		c.Do(func() {
			select {
			case <-c.Done():
				return
			default:
			}
			if err == nil {
				played()
			}
			c.Hangup("announcement played")
		})
	}
	var err error
	if len(r.Media) > 0 {
		_, err = s.media.PlayMedia(ep, r.Media, end)
	} else {
		_, err = s.media.PlayTone(ep, r.Tone, r.ToneFor, end)
	}
	if err != nil {
		c.Log().Warn("ring out: cannot play", "error", err)
		c.Hangup("ring out: " + err.Error())
	}
}
