package replay

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/sipwire"
)

// source cuts the capture, read as a stream, into windows of Call-IDs.
type source struct {
	next    func() (sipwire.Message, error) // io.EOF at the end
	close   func() error
	cfg     Windowing
	pending []sipwire.Message // read ahead: not in a window yet
	done    bool              // nothing more to read
	err     error             // the capture's damage, if any
	// admitted counts the Call-IDs given to windows (Limit).
	admitted int
	// prev and prev2 are the Call-IDs of the last two windows: a message
	// of theirs read later is late (dropped).
	prev, prev2 map[string]bool
	late        int
}

// openSource streams cfg.Capture, or walks cfg.Messages.
func openSource(cfg Config) (*source, error) {
	s := &source{cfg: cfg.Window, close: func() error { return nil }}
	if cfg.Messages != nil {
		i := 0
		s.next = func() (sipwire.Message, error) {
			if i == len(cfg.Messages) {
				return sipwire.Message{}, io.EOF
			}
			i++
			return cfg.Messages[i-1], nil
		}
		return s, nil
	}
	if cfg.Capture == "" {
		return nil, fmt.Errorf("replay: %w", ErrNoSIP)
	}
	f, err := os.Open(cfg.Capture)
	if err != nil {
		return nil, fmt.Errorf("replay %s: %w", cfg.Capture, err)
	}
	sc, err := sipwire.NewScanner(f)
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("replay %s: %w", cfg.Capture, err)
	}
	s.next, s.close = sc.Next, f.Close
	return s, nil
}

// cut returns the next window's messages, in capture order (none: the
// capture is over).
func (s *source) cut() []sipwire.Message {
	ids := map[string]bool{}
	var msgs, rest []sipwire.Message
	full := func() bool {
		return len(ids) >= s.cfg.Dialogs || (s.cfg.Limit > 0 && s.admitted >= s.cfg.Limit)
	}
	calls := map[string]bool{} // the window's calls (callKey)
	take := func(m sipwire.Message) {
		id := callIDOf(m)
		k := callKey(m)
		switch {
		case ids[id]:
			msgs = append(msgs, m)
		case s.prev[id] || s.prev2[id]:
			s.late++
		case k != "" && calls[k]:
			// another leg of a call of the window (a B2BUA's): with it,
			// beyond the count or the limit if need be
			ids[id] = true
			s.admitted++
			msgs = append(msgs, m)
		case s.cfg.Limit > 0 && s.admitted >= s.cfg.Limit:
			// beyond the limit: dropped
		case !full():
			ids[id] = true
			s.admitted++
			msgs = append(msgs, m)
		default:
			rest = append(rest, m)
			return
		}
		if k != "" && ids[id] {
			calls[k] = true
		}
	}
	after := 0
	for _, m := range s.pending {
		if full() {
			after++
		}
		take(m)
	}
	clear(s.pending)
	s.pending = s.pending[:0]
	for !s.done && !(full() && after >= s.cfg.Lookahead) {
		m, err := s.next()
		if err != nil {
			s.done = true
			if !errors.Is(err, io.EOF) {
				s.err = err
			}
			break
		}
		if full() {
			after++
		}
		take(m)
	}
	if s.cfg.Limit > 0 && s.admitted >= s.cfg.Limit {
		rest = nil // what is past the limit is not replayed
		s.done = true
	}
	s.pending = rest
	s.prev2, s.prev = s.prev, ids
	if s.done && len(s.pending) == 0 {
		s.shut()
	}
	return msgs
}

// shut closes the capture (once).
func (s *source) shut() {
	_ = s.close()
	s.close = func() error { return nil }
}

// exhausted: no window is left to cut.
func (s *source) exhausted() bool { return s.done && len(s.pending) == 0 }

func callIDOf(m sipwire.Message) string {
	if c := m.Msg.CallID(); c != nil {
		return c.Value()
	}
	return ""
}

// callKey names the call an initial INVITE sets up, "caller>callee" (the
// From and Request-URI users), so that the legs a B2BUA starts for it,
// under Call-IDs of their own, go in its window; "" for other messages.
func callKey(m sipwire.Message) string {
	req, ok := m.Msg.(*sip.Request)
	if !ok || req.Method != sip.INVITE || req.From() == nil || req.To() == nil {
		return ""
	}
	if _, tagged := req.To().Params.Get("tag"); tagged {
		return ""
	}
	return req.From().Address.User + ">" + req.Recipient.User
}
