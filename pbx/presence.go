package pbx

import (
	"context"
	"errors"
	"maps"
	"slices"
	"sync"

	"pbxlab/internal/dialoginfo"
	"pbxlab/pbx/internal/call"
	"pbxlab/pbx/internal/services/presence"
	"pbxlab/pbx/internal/sipx"
)

// The busy lamp field (RFC 4235 dialog event package): blf keeps, for
// every subscriber in a call, the state of that call's dialog as the
// subscriber's line shows it, and tells the subscription manager
// (subscriptions.go) when a line changes; dialogPackage renders a line as
// application/dialog-info+xml (state full, the version counting the
// subscription's NOTIFYs). The call layer's moments feed it:
//
//   - a new call routed to a subscriber (routeWithTimers): the caller's
//     line is trying (initiator), the callee's early (recipient: ringing)
//     from the moment the PBX sends the INVITE; a ring-all hunt group's
//     members ring the same way;
//   - a callee that failed (busy, no reply) and the subscriber the call
//     goes on to (failedWithTimers): the first drops out, the next rings;
//   - the answer (onAnswer): caller and the answering subscriber are
//     confirmed, everyone else the call rang drops out;
//   - a pickup (pickup.go): the picked-up callee drops out, the caller
//     and the picker are confirmed;
//   - the end (onHangup): every line of the call drops out.
//
// A line with no call is idle: one dialog in state terminated (as
// Asterisk sends it; phones show the lamp off). Project default: DND is no
// dialog state — a subscriber with DND on whom nobody can ring shows idle.

// lineDialog is one call as a subscriber's line shows it.
type lineDialog struct {
	state, direction, remote string
}

// blf is the subscribers' dialog states, by call.
type blf struct {
	mu     sync.Mutex
	calls  map[string]*smallMap[lineDialog] // Call-ID -> number -> dialog
	notify func(number string)              // the subscription manager's (nil: none yet)
}

// set records number's dialog in call id and reports whether it changed.
func (b *blf) set(id, number string, d lineDialog) bool {
	if id == "" || number == "" {
		return false
	}
	if b.calls == nil {
		b.calls = map[string]*smallMap[lineDialog]{}
	}
	ns := b.calls[id]
	if ns == nil {
		ns = &smallMap[lineDialog]{}
		b.calls[id] = ns
	}
	if old, ok := ns.get(number); ok && old == d {
		return false
	}
	ns.put(number, d)
	return true
}

// update runs f under the lock and tells the watchers of every number f
// returns.
func (b *blf) update(f func() []string) {
	b.mu.Lock()
	changed := f()
	notify := b.notify
	b.mu.Unlock()
	if notify == nil {
		return
	}
	slices.Sort(changed)
	for _, n := range slices.Compact(changed) {
		notify(n)
	}
}

// decided: a new call rings a subscriber.
func (b *blf) decided(in call.Incoming, d call.Decision) {
	if in.Request == nil || in.Request.CallID() == nil {
		return
	}
	id := in.Request.CallID().Value()
	b.update(func() []string {
		var ch []string
		callee := d.Callee
		if callee == "" {
			callee = in.Dialled
		}
		if !in.Caller.Trusted && b.set(id, in.Caller.Number, lineDialog{dialoginfo.Trying, dialoginfo.Initiator, callee}) {
			ch = append(ch, in.Caller.Number)
		}
		if d.Kind == call.ToSubscriber && b.set(id, d.Callee, lineDialog{dialoginfo.Early, dialoginfo.Recipient, in.Caller.Number}) {
			ch = append(ch, d.Callee)
		}
		return ch
	})
}

// failedOver: the callee failed; the call may go on to another.
func (b *blf) failedOver(f call.Failure, d *call.Decision) {
	if f.Call == nil {
		return
	}
	id := f.Call.ID()
	b.update(func() []string {
		var ch []string
		if b.calls[id].del(f.Callee) {
			ch = append(ch, f.Callee)
		}
		if d != nil && d.Kind == call.ToSubscriber && b.set(id, d.Callee, lineDialog{dialoginfo.Early, dialoginfo.Recipient, f.Caller.Number}) {
			ch = append(ch, d.Callee)
		}
		return ch
	})
}

// answered: callee took the call of caller; whoever else rang drops out.
func (b *blf) answered(id, caller, callee string) {
	b.update(func() []string {
		var ch []string
		for _, n := range b.calls[id].keys() {
			if d, _ := b.calls[id].get(n); n != caller && n != callee && d.direction == dialoginfo.Recipient && d.state != dialoginfo.Confirmed {
				b.calls[id].del(n)
				ch = append(ch, n)
			}
		}
		if _, ok := b.calls[id].get(caller); ok && b.set(id, caller, lineDialog{dialoginfo.Confirmed, dialoginfo.Initiator, callee}) {
			ch = append(ch, caller)
		}
		if b.set(id, callee, lineDialog{dialoginfo.Confirmed, dialoginfo.Recipient, caller}) {
			ch = append(ch, callee)
		}
		return ch
	})
}

// ended: the call is over.
func (b *blf) ended(id string) {
	b.update(func() []string {
		ns := b.calls[id]
		delete(b.calls, id)
		return ns.keys()
	})
}

// line returns number's dialogs, sorted by Call-ID; the remote parties'
// identities are at host.
func (b *blf) line(number, host string) []dialoginfo.Dialog {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []dialoginfo.Dialog
	for _, id := range slices.Sorted(maps.Keys(b.calls)) {
		if d, ok := b.calls[id].get(number); ok {
			out = append(out, dialoginfo.Dialog{ID: id, CallID: id, Direction: d.direction, State: d.state,
				Remote: &dialoginfo.Participant{Identity: "sip:" + d.remote + "@" + host}})
		}
	}
	return out
}

// blfDecided is the route decision's part: the caller and the subscriber
// rung, and every member of a hunt group that rings all at once (a
// sequential hunt rings its members in the call layer, one after another,
// unseen here: only the member who answers shows).
func (s *Server) blfDecided(in call.Incoming, d call.Decision) {
	s.blf.decided(in, d)
	if d.Kind != call.ToGroup || d.Sequential || in.Request == nil || in.Request.CallID() == nil {
		return
	}
	id := in.Request.CallID().Value()
	run := s.huntRuns.get(id)
	if run == nil {
		return
	}
	s.blf.update(func() []string {
		var ch []string
		for _, m := range run.members {
			if s.blf.set(id, m, lineDialog{dialoginfo.Early, dialoginfo.Recipient, in.Caller.Number}) {
				ch = append(ch, m)
			}
		}
		return ch
	})
}

// blfAnswered is Policy.OnAnswer's part.
func (s *Server) blfAnswered(a call.Answered) {
	if a.Call == nil {
		return
	}
	callee := a.Callee
	if run := s.huntRuns.get(a.Call.ID()); run != nil && run.answered != "" {
		callee = run.answered // a hunt group's member (huntAnswered ran first)
	}
	s.blf.answered(a.Call.ID(), a.Caller.Number, callee)
}

// blfPickedUp: picker (on its call pc) took call k of caller.
func (s *Server) blfPickedUp(pc, k *call.Call, caller, picker string) {
	b := &s.blf
	b.update(func() []string {
		var ch []string
		for _, n := range b.calls[k.ID()].keys() {
			if d, _ := b.calls[k.ID()].get(n); d.direction == dialoginfo.Recipient {
				b.calls[k.ID()].del(n)
				ch = append(ch, n)
			}
		}
		if _, ok := b.calls[k.ID()].get(caller); ok && b.set(k.ID(), caller, lineDialog{dialoginfo.Confirmed, dialoginfo.Initiator, picker}) {
			ch = append(ch, caller)
		}
		if b.set(pc.ID(), picker, lineDialog{dialoginfo.Confirmed, dialoginfo.Initiator, caller}) {
			ch = append(ch, picker)
		}
		return ch
	})
}

// mayWatch maps the presence policy's refusal to 403.
func (s *Server) mayWatch(watcher, watched string) error {
	if s.presence == nil {
		return nil
	}
	err := s.presence.MayWatch(watcher, watched)
	if errors.Is(err, presence.ErrNotAllowed) || errors.Is(err, presence.ErrSwitchedOff) {
		return &sipx.StatusError{Code: 403, Reason: "Forbidden", Err: err}
	}
	return err
}

// dialogPackage is the dialog event package (RFC 4235) over blf.
type dialogPackage struct{ s *Server }

func (dialogPackage) Event() string       { return dialoginfo.Event }
func (dialogPackage) ContentType() string { return dialoginfo.ContentType }

func (p dialogPackage) State(ctx context.Context, number string) ([]byte, error) {
	return p.StateAt(ctx, number, 0)
}

// StateAt implements subscription.Versioned.
func (p dialogPackage) StateAt(_ context.Context, number string, version uint32) ([]byte, error) {
	u := p.s.account(number)
	ds := p.s.blf.line(number, u.Host)
	if len(ds) == 0 {
		ds = []dialoginfo.Dialog{{ID: number, State: dialoginfo.Terminated}}
	}
	return dialoginfo.Format(dialoginfo.Info{Version: version, State: "full", Entity: u.String(), Dialogs: ds})
}
