package phone

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/dialoginfo"
	"pbxlab/internal/mwi"
)

// Event subscriptions (RFC 6665) of the simulated phones: a phone
// subscribes to an event package at the Agent's Target (message-summary,
// RFC 3842, for message waiting), refreshes and ends the subscription, and
// keeps every NOTIFY it gets — in the subscription, or unsolicited (a PBX
// that sends MWI to registered contacts without a subscription).

// Notify is a NOTIFY a phone received.
type Notify struct {
	Event string
	// State is the Subscription-State header ("active;expires=3600",
	// "terminated;reason=timeout"; "" for none).
	State string
	Body  []byte
	// Summary is the message-summary body (Event message-summary), and
	// SummaryErr why it could not be read.
	Summary    mwi.Summary
	SummaryErr error
	// Dialog is the dialog-info body (Event dialog, RFC 4235: blf.go),
	// and DialogErr why it could not be read.
	Dialog    dialoginfo.Info
	DialogErr error
	At        time.Time
}

// Terminated reports whether the NOTIFY ends its subscription.
func (n Notify) Terminated() bool {
	return strings.HasPrefix(strings.ToLower(strings.TrimSpace(n.State)), "terminated")
}

// ErrSubscription: a SUBSCRIBE was refused or the subscription is over.
var ErrSubscription = errors.New("subscription failed")

// Subscription is one phone's subscription to an event package.
type Subscription struct {
	p     *Phone
	event string

	mu        sync.Mutex
	callID    string
	from      *sip.FromHeader
	to        *sip.ToHeader
	target    sip.Uri
	cseq      uint32
	expires   time.Duration
	notifies  []Notify
	changed   chan struct{} // closed and replaced on every NOTIFY
	confirmed bool
}

// events is an Agent's subscriptions and unsolicited NOTIFYs.
type events struct {
	mu          sync.Mutex
	subs        map[string]*Subscription // by Call-ID | our tag
	unsolicited map[string][]Notify      // by phone number
	changed     chan struct{}
}

func (e *events) init() {
	if e.subs == nil {
		e.subs = map[string]*Subscription{}
		e.unsolicited = map[string][]Notify{}
		e.changed = make(chan struct{})
	}
}

// Subscribe subscribes the phone to its own resource in event (e.g.
// "message-summary": its mailbox) at the Agent's Target for an hour,
// answering a digest challenge. It returns once the SUBSCRIBE is accepted;
// the first NOTIFY follows (WaitNotify).
func (p *Phone) Subscribe(ctx context.Context, event string) (*Subscription, error) {
	return p.SubscribeFor(ctx, event, time.Hour)
}

// SubscribeFor is Subscribe asking for expires.
func (p *Phone) SubscribeFor(ctx context.Context, event string, expires time.Duration) (*Subscription, error) {
	return p.SubscribeTo(ctx, event, p.cfg.Number, expires)
}

// SubscribeTo subscribes the phone to resource's state in event (the
// Request-URI and To user: "dialog" and another extension for a busy lamp
// field, blf.go) for expires.
func (p *Phone) SubscribeTo(ctx context.Context, event, resource string, expires time.Duration) (*Subscription, error) {
	a := p.agent
	if a.cfg.Target == "" {
		return nil, fmt.Errorf("subscribe %s: %w", p.cfg.Number, ErrNoTarget)
	}
	tag := sip.GenerateTagN(16)
	from := &sip.FromHeader{Address: a.aor(p.cfg.Number), Params: sip.NewParams()}
	from.Params.Add("tag", tag)
	s := &Subscription{p: p, event: event, callID: sip.GenerateTagN(24), from: from,
		to: &sip.ToHeader{Address: a.aor(resource), Params: sip.NewParams()}, target: a.aor(resource), changed: make(chan struct{})}
	a.events.mu.Lock()
	a.events.init()
	a.events.subs[s.callID+"|"+tag] = s
	a.events.mu.Unlock()
	if err := s.send(ctx, expires); err != nil {
		a.events.mu.Lock()
		delete(a.events.subs, s.callID+"|"+tag)
		a.events.mu.Unlock()
		return nil, err
	}
	return s, nil
}

// Refresh renews the subscription for expires (in its dialog).
func (s *Subscription) Refresh(ctx context.Context, expires time.Duration) error {
	return s.send(ctx, expires)
}

// Unsubscribe ends the subscription (Expires: 0); the notifier's final
// NOTIFY (Subscription-State: terminated) follows.
func (s *Subscription) Unsubscribe(ctx context.Context) error { return s.send(ctx, 0) }

// Expires is the lifetime the notifier granted last.
func (s *Subscription) Expires() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.expires
}

// Notifies returns the NOTIFYs received in the subscription so far.
func (s *Subscription) Notifies() []Notify {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Notify(nil), s.notifies...)
}

// WaitNotify waits for a NOTIFY of the subscription (received since it
// started, the latest first) for which ok holds.
func (s *Subscription) WaitNotify(ctx context.Context, ok func(Notify) bool) (Notify, error) {
	for {
		s.mu.Lock()
		ch := s.changed
		for i := len(s.notifies) - 1; i >= 0; i-- {
			if ok(s.notifies[i]) {
				n := s.notifies[i]
				s.mu.Unlock()
				return n, nil
			}
		}
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return Notify{}, fmt.Errorf("wait for NOTIFY of %s: %w", s.event, ctx.Err())
		}
	}
}

// send sends one SUBSCRIBE (the first, a refresh or the last).
func (s *Subscription) send(ctx context.Context, expires time.Duration) error {
	p := s.p
	a := p.agent
	s.mu.Lock()
	s.cseq++
	req := sip.NewRequest(sip.SUBSCRIBE, *s.target.Clone())
	req.AppendHeader(&sip.FromHeader{Address: *s.from.Address.Clone(), Params: s.from.Params.Clone()})
	req.AppendHeader(&sip.ToHeader{Address: *s.to.Address.Clone(), Params: s.to.Params.Clone()})
	cid := sip.CallIDHeader(s.callID)
	req.AppendHeader(&cid)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: s.cseq, MethodName: sip.SUBSCRIBE})
	s.mu.Unlock()
	contact := p.contactHeader()
	req.AppendHeader(&contact)
	req.AppendHeader(sip.NewHeader("Event", s.event))
	exp := sip.ExpiresHeader(uint32(expires / time.Second))
	req.AppendHeader(&exp)
	switch s.event {
	case mwi.Event:
		req.AppendHeader(sip.NewHeader("Accept", mwi.ContentType))
	case dialoginfo.Event:
		req.AppendHeader(sip.NewHeader("Accept", dialoginfo.ContentType))
	}
	req.AppendHeader(sip.NewHeader("User-Agent", a.uaName))
	req.SetTransport(a.sipTransport)
	req.SetDestination(a.cfg.Target)
	res, err := a.do(ctx, req)
	if err == nil && (res.StatusCode == 401 || res.StatusCode == 407) && p.cfg.Password != "" {
		res, err = a.doDigest(ctx, req, res, sipgo.DigestAuth{Username: p.cfg.Username, Password: p.cfg.Password})
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if seq := req.CSeq().SeqNo; seq > s.cseq {
		s.cseq = seq
	}
	if err != nil {
		return fmt.Errorf("subscribe %s to %s: %w", p.cfg.Number, s.event, err)
	}
	if !res.IsSuccess() {
		return fmt.Errorf("subscribe %s to %s: %w", p.cfg.Number, s.event, &StatusError{Method: "SUBSCRIBE", Code: res.StatusCode, Reason: res.Reason})
	}
	if !s.confirmed {
		s.confirmed = true
		if tag, ok := res.To().Params.Get("tag"); ok {
			s.to.Params.Add("tag", tag)
		}
		if c := res.Contact(); c != nil {
			s.target = *c.Address.Clone()
		}
	}
	s.expires = expires
	if h := res.GetHeader("Expires"); h != nil {
		if n, err := strconv.ParseUint(strings.TrimSpace(h.Value()), 10, 32); err == nil {
			s.expires = time.Duration(n) * time.Second
		}
	}
	return nil
}

// UnsolicitedNotifies returns the NOTIFYs of event the phone got outside
// any subscription (MWI sent to registered contacts).
func (p *Phone) UnsolicitedNotifies(event string) []Notify {
	a := p.agent
	a.events.mu.Lock()
	defer a.events.mu.Unlock()
	var out []Notify
	for _, n := range a.events.unsolicited[p.cfg.Number] {
		if strings.EqualFold(n.Event, event) {
			out = append(out, n)
		}
	}
	return out
}

// WaitUnsolicited waits for an unsolicited NOTIFY of event (the latest
// first) for which ok holds.
func (p *Phone) WaitUnsolicited(ctx context.Context, event string, ok func(Notify) bool) (Notify, error) {
	a := p.agent
	for {
		a.events.mu.Lock()
		a.events.init()
		ch := a.events.changed
		a.events.mu.Unlock()
		ns := p.UnsolicitedNotifies(event)
		for i := len(ns) - 1; i >= 0; i-- {
			if ok(ns[i]) {
				return ns[i], nil
			}
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return Notify{}, fmt.Errorf("wait for unsolicited NOTIFY of %s: %w", event, ctx.Err())
		}
	}
}

// onNotify takes a NOTIFY: one of a subscription of ours (by Call-ID and
// our tag), else an unsolicited one for a phone (Request-URI user). It is
// answered 200 either way (a NOTIFY of a REFER, say, needs no more).
func (a *Agent) onNotify(req *sip.Request, tx sip.ServerTransaction) {
	n := Notify{Body: append([]byte(nil), req.Body()...), At: a.clock.Now()}
	if h := req.GetHeader("Event"); h != nil {
		n.Event, _, _ = strings.Cut(strings.TrimSpace(h.Value()), ";")
	}
	if h := req.GetHeader("Subscription-State"); h != nil {
		n.State = strings.TrimSpace(h.Value())
	}
	switch {
	case strings.EqualFold(n.Event, mwi.Event):
		n.Summary, n.SummaryErr = mwi.Parse(n.Body)
	case strings.EqualFold(n.Event, dialoginfo.Event):
		n.Dialog, n.DialogErr = dialoginfo.Parse(n.Body)
	}
	tag, _ := req.To().Params.Get("tag")
	a.events.mu.Lock()
	a.events.init()
	s := a.events.subs[callID(req)+"|"+tag]
	if s == nil {
		if p := a.phoneFor(req); p != nil {
			a.events.unsolicited[p.cfg.Number] = append(a.events.unsolicited[p.cfg.Number], n)
			close(a.events.changed)
			a.events.changed = make(chan struct{})
		}
	}
	a.events.mu.Unlock()
	if s != nil {
		s.mu.Lock()
		s.notifies = append(s.notifies, n)
		close(s.changed)
		s.changed = make(chan struct{})
		s.mu.Unlock()
	}
	a.respond(tx, req, 200, "OK")
}
