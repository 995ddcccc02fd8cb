package pbx

import (
	"sync"

	"pbxlab/pbx/internal/call"
	"pbxlab/pbx/internal/services/callback"
	"pbxlab/pbx/internal/sipx"
)

// Call back on busy (CCBS; the queue and the codes are
// pbx/internal/services/callback, switch "callback"). A calls B and finds
// B busy — B's phone answers 486, or B has do not disturb on (which counts
// as busy): the PBX remembers B as A's last busy number (from the call's
// record, cause 486). A dials *37# (or *37*B#) and hears the confirmation
// tone. When B's last call ends and A is in none, the PBX calls A itself
// (A's phone shows B's number); when A answers, the PBX rings B showing A
// and joins them (pbx/callback_agent.go). #37# cancels; a request waits
// services.callback.timeout (default 30 min).
//
// Choices where RFC 5359 and Asterisk's CCSS leave room:
//   - A in a call when B becomes free: the request waits for A's call to
//     end (A busy again → the request waits);
//   - B not reachable when its call ends (DND on, not registered): A is
//     not called, the request waits for B's next call to end;
//   - A busy or rejecting the callback: the request waits; A not
//     answering: the request is dropped;
//   - B busy again when A answered: A is released (BYE), the request
//     waits; B not answering or rejecting: dropped;
//   - one request per caller: a new *37# replaces the last; the requests
//     on one B are served oldest first.

// callbackState is the PBX's side of the service.
type callbackState struct {
	svc *callback.Service

	mu       sync.Mutex
	lastBusy map[string]string // caller -> the subscriber it last found busy
	running  map[uint64]bool   // requests being called back
	// callerBusy are requests whose number was free while their caller
	// was not: the caller's call ending starts them
	callerBusy map[uint64]bool
}

// callbackDir implements callback.Directory.
type callbackDir struct{ s *Server }

func (d callbackDir) LastBusy(caller string) (string, bool) {
	st := d.s.cb
	st.mu.Lock()
	defer st.mu.Unlock()
	n, ok := st.lastBusy[caller]
	return n, ok
}

func (d callbackDir) IsSubscriber(n string) bool { _, ok := d.s.subscriber(n); return ok }

// callbackService builds the service (a chain service: its codes).
func (s *Server) callbackService() (*callback.Service, error) {
	s.cb = &callbackState{lastBusy: map[string]string{}, running: map[uint64]bool{}, callerBusy: map[uint64]bool{}}
	svc, err := callback.New(s.cfg.Services.Callback, callbackDir{s}, callback.WithClock(s.clock), callback.WithLogger(s.log.With("component", "callback")))
	if err != nil {
		return nil, err
	}
	s.cb.svc = svc
	return svc, nil
}

// lineEnded is the end of a call for the lines (lines.go) and for call
// back on busy: a caller that found a subscriber busy remembers it, and
// each number the call leaves free may have a callback due.
func (s *Server) lineEnded(e call.Ended) {
	freed := s.lines.numbers(e.Record.CallID)
	s.lines.end(e.Record.CallID)
	if s.cb == nil {
		return
	}
	for _, n := range freed {
		if !s.lines.InCall(n) {
			s.callbackFree(n)
		}
	}
}

// busyDecision notes a call number analysis refused as busy (do not
// disturb, call waiting off): the caller found the callee busy.
func (s *Server) busyDecision(in call.Incoming, d call.Decision) {
	if d.Kind != call.Reject {
		return
	}
	if code, _, _ := sipx.StatusOf(d.Err); d.Err != nil && (code == 486 || code == 600) && !in.Caller.Trusted {
		callee := d.Callee
		if callee == "" {
			callee = in.Dialled
		}
		s.noteBusy(in.Caller.Number, callee)
	}
}

// busyFailure notes a call whose callee answered busy.
func (s *Server) busyFailure(f call.Failure) {
	if f.Kind == call.Busy && !f.Caller.Trusted {
		s.noteBusy(f.Caller.Number, f.Callee)
	}
}

// noteBusy remembers callee as the subscriber caller last found busy.
func (s *Server) noteBusy(caller, callee string) {
	if s.cb == nil || caller == callee {
		return
	}
	if _, ok := s.subscriber(callee); !ok {
		return
	}
	s.cb.mu.Lock()
	defer s.cb.mu.Unlock()
	s.cb.lastBusy[caller] = callee
}

// callbackFree starts the callbacks number's being free allows: the
// oldest request waiting for number whose caller is free (the others
// whose caller is in a call wait for that call's end), and number's own
// request if it waited for number to be free.
func (s *Server) callbackFree(number string) {
	for _, r := range s.cb.svc.Due(number) {
		if s.lines.InCall(r.Caller) {
			s.cb.setCallerBusy(r, true)
			continue
		}
		if s.cb.begin(r) {
			go s.recall(r)
			break
		}
	}
	if r, ok := s.cb.svc.Pending(number); ok && s.cb.setCallerBusy(r, false) && !s.lines.InCall(r.Callee) && s.cb.begin(r) {
		go s.recall(r)
	}
}

// setCallerBusy marks (or unmarks) r as waiting for its caller; it
// reports whether r was marked.
func (st *callbackState) setCallerBusy(r callback.Request, on bool) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	was := st.callerBusy[r.ID]
	if on {
		st.callerBusy[r.ID] = true
	} else {
		delete(st.callerBusy, r.ID)
	}
	return was
}

// begin marks r as being called back; false when it already is.
func (st *callbackState) begin(r callback.Request) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.running[r.ID] {
		return false
	}
	st.running[r.ID] = true
	return true
}

// end unmarks r.
func (st *callbackState) end(r callback.Request) {
	st.mu.Lock()
	defer st.mu.Unlock()
	delete(st.running, r.ID)
}

// numbers are the numbers in the call id.
func (l *lines) numbers(id string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.byCall[id].keys()
}
