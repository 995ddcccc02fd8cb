package subscription

import (
	"context"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/pbx/internal/sipx"
)

// notifyTimeout bounds one NOTIFY transaction (Timer F is 64*T1 anyway).
const notifyTimeout = 40 * time.Second

// goNotify sends s's current state in a NOTIFY on its own goroutine;
// state "" is active with the time left, else the Subscription-State to
// send (terminated;reason=...).
func (m *Manager) goNotify(s *sub, state string) {
	m.mu.Lock()
	closed := m.closed
	if !closed {
		m.wg.Add(1)
	}
	m.mu.Unlock()
	if closed {
		return
	}
	go func() {
		defer m.wg.Done()
		if err := s.notify(m.base, state); err != nil {
			m.log.Debug("notify", "resource", s.resource, "call_id", s.callID, "error", err)
		}
	}()
}

// notify sends one NOTIFY in s's dialog and waits for its final response;
// a 481 (or a transaction that failed) ends the subscription (RFC 6665
// §4.2.2).
func (s *sub) notify(ctx context.Context, state string) error {
	s.sendMu.Lock()
	defer s.sendMu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, notifyTimeout)
	defer cancel()
	var body []byte
	var err error
	if v, ok := s.pkg.(Versioned); ok {
		body, err = v.StateAt(ctx, s.resource, s.version)
	} else {
		body, err = s.pkg.State(ctx, s.resource)
	}
	if err != nil {
		return fmt.Errorf("notify %s: %w", s.resource, err)
	}
	s.version++
	s.mu.Lock()
	if state == "" {
		if s.ended {
			s.mu.Unlock()
			return nil // a final NOTIFY went or goes out instead
		}
		left := max(s.expiry.Sub(s.m.clock.Now()).Round(time.Second), 0)
		state = "active;expires=" + strconv.Itoa(int(left/time.Second))
	}
	s.seq++
	seq := s.seq
	target := *s.target.Clone()
	s.mu.Unlock()
	req := sip.NewRequest(sip.NOTIFY, target)
	req.AppendHeader(s.via.Via(s.m.deps.Token.Branch()))
	mf := sip.MaxForwardsHeader(70)
	req.AppendHeader(&mf)
	for _, r := range s.routeSet {
		req.AppendHeader(&sip.RouteHeader{Address: *r.Clone()})
	}
	from := &sip.FromHeader{Address: *s.local.Clone(), Params: sip.NewParams()}
	from.Params.Add("tag", s.localTag)
	req.AppendHeader(from)
	to := &sip.ToHeader{Address: *s.remote.Clone(), Params: sip.NewParams()}
	to.Params.Add("tag", s.remoteTag)
	req.AppendHeader(to)
	cid := sip.CallIDHeader(s.callID)
	req.AppendHeader(&cid)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: seq, MethodName: sip.NOTIFY})
	req.AppendHeader(s.via.Contact(s.resource))
	req.AppendHeader(sip.NewHeader("Event", s.pkg.Event()))
	req.AppendHeader(sip.NewHeader("Subscription-State", state))
	ct := sip.ContentTypeHeader(s.pkg.ContentType())
	req.AppendHeader(&ct)
	req.SetBody(body)
	s.via.Prepare(req, s.dest)
	res, err := s.m.do(ctx, req)
	if err != nil || res.StatusCode == 481 || res.StatusCode == 408 {
		s.m.drop(s)
		if err != nil {
			return fmt.Errorf("notify %s: %w", s.resource, err)
		}
		return fmt.Errorf("notify %s: %d %s: %w", s.resource, res.StatusCode, res.Reason, ErrNoSubscription)
	}
	return nil
}

// do sends req and returns its final response.
func (m *Manager) do(ctx context.Context, req *sip.Request) (*sip.Response, error) {
	tx, err := m.deps.Sender.Request(ctx, req)
	if err != nil {
		return nil, err
	}
	defer tx.Terminate()
	for {
		select {
		case res, ok := <-tx.Responses():
			if !ok {
				return nil, tx.Err()
			}
			if res.StatusCode >= 200 {
				return res, nil
			}
		case <-tx.Done():
			return nil, tx.Err()
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Target is where an unsolicited NOTIFY goes: a registered contact.
type Target struct {
	URI       sip.Uri // the Request-URI (the contact)
	Transport string  // "udp" | "tcp"
	Dest      string  // host:port (the REGISTER's source behind NAT)
}

// NotifyOut sends resource's state in event to each target in an
// unsolicited NOTIFY (out of any dialog, Subscription-State active), the
// way phones without a subscription get MWI. It returns once every NOTIFY
// has its answer.
func (m *Manager) NotifyOut(ctx context.Context, event, resource string, account sip.Uri, targets []Target) error {
	pkg, ok := m.pkgs[strings.ToLower(event)]
	if !ok {
		return fmt.Errorf("notify %s: %w", event, ErrBadEvent)
	}
	body, err := pkg.State(ctx, resource)
	if err != nil {
		return fmt.Errorf("notify %s: %w", resource, err)
	}
	var errs []error
	for _, t := range targets {
		peer, err := netip.ParseAddrPort(t.Dest)
		if err != nil {
			errs = append(errs, fmt.Errorf("notify %s at %q: %w", resource, t.Dest, err))
			continue
		}
		via, ok := m.deps.Local(t.Transport, peer)
		if !ok {
			errs = append(errs, fmt.Errorf("notify %s at %s: %w", resource, t.Dest, sipx.ErrUnavailable))
			continue
		}
		req := sip.NewRequest(sip.NOTIFY, *t.URI.Clone())
		req.AppendHeader(via.Via(m.deps.Token.Branch()))
		mf := sip.MaxForwardsHeader(70)
		req.AppendHeader(&mf)
		from := &sip.FromHeader{Address: *account.Clone(), Params: sip.NewParams()}
		from.Params.Add("tag", sipx.NewTag())
		req.AppendHeader(from)
		req.AppendHeader(&sip.ToHeader{Address: *account.Clone(), Params: sip.NewParams()})
		cid := sip.CallIDHeader(sipx.NewCallID())
		req.AppendHeader(&cid)
		req.AppendHeader(&sip.CSeqHeader{SeqNo: 1, MethodName: sip.NOTIFY})
		req.AppendHeader(via.Contact(resource))
		req.AppendHeader(sip.NewHeader("Event", pkg.Event()))
		req.AppendHeader(sip.NewHeader("Subscription-State", "active"))
		ct := sip.ContentTypeHeader(pkg.ContentType())
		req.AppendHeader(&ct)
		req.SetBody(body)
		via.Prepare(req, t.Dest)
		res, err := m.do(ctx, req)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("notify %s at %s: %w", resource, t.Dest, err))
		case !res.IsSuccess():
			errs = append(errs, fmt.Errorf("notify %s at %s: %d %s", resource, t.Dest, res.StatusCode, res.Reason))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("unsolicited notify: %w", joinErrs(errs))
	}
	return nil
}
