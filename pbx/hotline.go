package pbx

import (
	"context"
	"fmt"
	"sync"
	"time"

	"pbxlab/internal/clock"
	"pbxlab/pbx/internal/call"
	"pbxlab/pbx/internal/media"
	"pbxlab/pbx/internal/services/hotline"
	hotsql "pbxlab/pbx/internal/services/hotline/sqlstore"
	"pbxlab/pbx/internal/services/secretary"
	secsql "pbxlab/pbx/internal/services/secretary/sqlstore"
	"pbxlab/pbx/internal/sipx"
)

// The hotline's call side (pbx/internal/services/hotline). A SIP phone
// has no off-hook signal: its hotline (auto-dial) setting dials the
// off-hook number (services.hotline.offhook_number, default "hotline")
// when the handset is lifted. An immediate hotline is the service's own:
// its Dialled hook rewrites the off-hook number to the hotline number.
// A delayed hotline is here, before the chain: the PBX answers the
// off-hook INVITE in early media (183, dial tone, media.DialTone), takes
// the caller's RFC 4733 digits, and once the caller dialled nothing for
// the line's delay calls the hotline number; digits dialled in time are
// called instead, on "#" or after services.hotline.inter_digit without a
// further digit. Either number is analysed as if the caller had dialled
// it (route again: feature codes, authority, emergency numbers, the
// vacant prompt) and the result applied to the same call
// (call.Call.Reroute): the caller's INVITE is answered only by whoever is
// rung. Timers run on the PBX's clock. Without the media server (no dial
// tone), or when the offer cannot take early media, the hotline number
// is called at once.

// hotlineKey marks the analysis of a delayed hotline's number: the
// off-hook number is not taken again.
type hotlineKey struct{}

// maxHotlineDigits bounds the digits a delayed hotline collects.
const maxHotlineDigits = 32

// hotlineRouteTimeout bounds the analysis of the number dialled.
const hotlineRouteTimeout = 10 * time.Second

// hotlineServices builds the hotline and secretary services with their
// SQLite stores.
func (s *Server) hotlineServices(ctx context.Context) (*hotline.Service, *secretary.Service, error) {
	cfg := s.cfg.Services
	hst, err := hotsql.New(ctx, s.db)
	if err != nil {
		return nil, nil, fmt.Errorf("services.hotline: %w", err)
	}
	hot, err := hotline.New(cfg.Hotline, hst)
	if err != nil {
		return nil, nil, fmt.Errorf("services.hotline: %w", err)
	}
	sst, err := secsql.New(ctx, s.db)
	if err != nil {
		return nil, nil, fmt.Errorf("services.secretary: %w", err)
	}
	sec, err := secretary.New(cfg.Secretary, sst)
	if err != nil {
		return nil, nil, fmt.Errorf("services.secretary: %w", err)
	}
	return hot, sec, nil
}

// routeHotline takes the off-hook number of a subscriber with a delayed
// hotline (the service switched on for it, the media server on): the
// caller hears the dial tone. Anything else goes on to the chain (an
// immediate hotline is its Dialled hook).
func (s *Server) routeHotline(ctx context.Context, in call.Incoming) (call.Decision, bool) {
	if s.hotline == nil || in.Caller.Trusted || ctx.Value(hotlineKey{}) != nil || !s.hotline.OffHook(in.Dialled) {
		return call.Decision{}, false
	}
	if _, sub := s.subscriber(in.Caller.Number); !sub || !s.svc.On(hotline.Name, in.Caller.Number) || !s.media.Enabled() {
		return call.Decision{}, false
	}
	line, err := s.hotline.Line(ctx, in.Caller.Number)
	if err != nil {
		s.log.Warn("hotline", "caller", in.Caller.Number, "error", err)
		return call.Decision{Kind: call.Reject, Callee: in.Dialled, Err: &sipx.StatusError{Code: 500, Reason: "Server Internal Error", Err: err}}, true
	}
	if line.Number == "" || line.Delay == 0 {
		return call.Decision{}, false
	}
	return call.Decision{Kind: call.ToService, Callee: in.Dialled, Service: func(c *call.Call) {
		s.offHook(c, in, line)
	}}, true
}

// hotlineDial is a caller of a delayed hotline hearing the dial tone.
// Its fields are the call's executor's, but for mu's.
type hotlineDial struct {
	s    *Server
	c    *call.Call
	in   call.Incoming
	line hotline.Setting

	digits []byte
	seq    int // the timer armed last

	mu    sync.Mutex
	dial  *media.Dialling
	timer clock.Timer
	done  bool
}

// offHook runs on the call's executor: dial tone, then the first digit's
// wait.
func (s *Server) offHook(c *call.Call, in call.Incoming, line hotline.Setting) {
	h := &hotlineDial{s: s, c: c, in: in, line: line}
	dial, err := s.media.DialTone(c, func(d byte) { c.Do(func() { h.digit(d) }) })
	if err != nil {
		c.Log().Info("hotline: no dial tone; calling the hotline at once", "caller", in.Caller.Number, "error", err)
		h.call(line.Number)
		return
	}
	h.mu.Lock()
	h.dial = dial
	h.mu.Unlock()
	c.Log().Info("hotline: dial tone", "caller", in.Caller.Number, "hotline", line.Number, "delay", line.Delay)
	h.arm(line.Delay)
	go func() {
		<-c.Done()
		h.halt()
	}()
}

// arm (re)starts the wait for a digit.
func (h *hotlineDial) arm(d time.Duration) {
	h.seq++
	seq := h.seq
	t := h.s.clock.AfterFunc(d, func() { h.c.Do(func() { h.timeout(seq) }) })
	h.mu.Lock()
	old, done := h.timer, h.done
	h.timer = t
	h.mu.Unlock()
	if old != nil {
		old.Stop()
	}
	if done {
		t.Stop()
	}
}

// digit takes one key: the first stops the dial tone; "#" after a digit
// calls the digits at once; a full number is called.
func (h *hotlineDial) digit(d byte) {
	if h.over() {
		return
	}
	if d == '#' && len(h.digits) > 0 {
		h.call(string(h.digits))
		return
	}
	if len(h.digits) == 0 {
		h.mu.Lock()
		dial := h.dial
		h.mu.Unlock()
		dial.Quiet()
	}
	h.digits = append(h.digits, d)
	if len(h.digits) >= maxHotlineDigits {
		h.call(string(h.digits))
		return
	}
	h.arm(h.s.hotline.InterDigit())
}

// timeout: nothing dialled in the delay calls the hotline; a pause after
// digits calls them.
func (h *hotlineDial) timeout(seq int) {
	if seq != h.seq || h.over() {
		return
	}
	if len(h.digits) == 0 {
		h.c.Log().Info("hotline: nothing dialled; calling the hotline", "caller", h.in.Caller.Number, "hotline", h.line.Number)
		h.call(h.line.Number)
		return
	}
	h.call(string(h.digits))
}

// call stops the dial tone and routes number for the caller, off the
// executor (analysis may do I/O); the decision is applied to the call.
func (h *hotlineDial) call(number string) {
	h.halt()
	in := h.in
	in.Dialled = number
	c := h.c
	go func() {
		ctx, cancel := context.WithTimeout(context.WithValue(context.Background(), hotlineKey{}, true), hotlineRouteTimeout)
		defer cancel()
		d, err := h.s.routeWithTimers(ctx, in)
		c.Do(func() {
			if err != nil {
				c.Log().Warn("hotline: routing", "number", number, "error", err)
				c.Reject(err)
				return
			}
			c.Log().Info("hotline: calling", "caller", in.Caller.Number, "number", number, "decision", d.Kind)
			c.Reroute(d)
		})
	}()
}

func (h *hotlineDial) over() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.done
}

// halt stops the tone, the digits and the timer (once).
func (h *hotlineDial) halt() {
	h.mu.Lock()
	if h.done {
		h.mu.Unlock()
		return
	}
	h.done = true
	dial, t := h.dial, h.timer
	h.mu.Unlock()
	if t != nil {
		t.Stop()
	}
	if dial != nil {
		dial.Stop()
	}
}
