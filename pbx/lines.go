package pbx

import (
	"sync"

	"pbxlab/pbx/internal/call"
)

// lines knows which subscribers are in a call (call waiting,
// pbx/internal/services/waiting): the caller of every call in progress and
// the callee it rings or talks to, by the call's Call-ID, from the route
// decision (routeWithTimers, failedWithTimers) and the answer (onAnswer)
// until the call ends (onHangup).
type lines struct {
	mu     sync.Mutex
	byCall map[string]*smallMap[struct{}] // Call-ID -> numbers in that call
	count  map[string]int                 // number -> calls it is in
}

// add puts number in the call id.
func (l *lines) add(id, number string) {
	if id == "" || number == "" {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.byCall == nil {
		l.byCall, l.count = map[string]*smallMap[struct{}]{}, map[string]int{}
	}
	ns := l.byCall[id]
	if ns == nil {
		ns = &smallMap[struct{}]{}
		l.byCall[id] = ns
	}
	if _, in := ns.get(number); !in {
		ns.put(number, struct{}{})
		l.count[number]++
	}
}

// end forgets the call id.
func (l *lines) end(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, n := range l.byCall[id].keys() {
		if l.count[n]--; l.count[n] <= 0 {
			delete(l.count, n)
		}
	}
	delete(l.byCall, id)
}

// InCall implements waiting.Lines.
func (l *lines) InCall(number string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.count[number] > 0
}

// decided records who a new call's decision puts in the call: the caller
// (a subscriber's phone is busy while it calls) and the subscriber it
// rings.
func (l *lines) decided(in call.Incoming, d call.Decision) {
	if in.Request == nil || in.Request.CallID() == nil {
		return
	}
	id := in.Request.CallID().Value()
	if !in.Caller.Trusted {
		l.add(id, in.Caller.Number)
	}
	if d.Kind == call.ToSubscriber {
		l.add(id, d.Callee)
	}
}
