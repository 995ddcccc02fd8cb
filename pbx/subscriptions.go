package pbx

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/dialoginfo"
	"pbxlab/internal/mwi"
	"pbxlab/pbx/internal/digestauth"
	"pbxlab/pbx/internal/sipx"
	"pbxlab/pbx/internal/subscription"
)

// SUBSCRIBE/NOTIFY (RFC 6665): one subscription manager
// (pbx/internal/subscription) serves every event package of the PBX —
// message-summary (MWI, voicemail.go) when voicemail is on, and dialog
// (the busy lamp field, presence.go) always. A SUBSCRIBE is
// authenticated by digest like every request of a subscriber
// (authorizeSubscribe); what the watcher may watch is the package's.

// initSubscriptions builds the manager with its packages (after the call
// manager: SUBSCRIBEs in a call's dialog go to it, and after voicemail).
func (s *Server) initSubscriptions() error {
	pkgs := []subscription.Package{dialogPackage{s}}
	if s.vm != nil {
		pkgs = append(pkgs, mwiPackage{s})
	}
	maxExp := s.cfg.Voicemail.MWIExpires
	if maxExp <= 0 {
		maxExp = time.Hour
	}
	m, err := subscription.New(subscription.Deps{Sender: s.sip, Local: s.local, Token: s.token, Authorize: s.authorizeSubscribe},
		pkgs, subscription.WithClock(s.clock), subscription.WithLogger(s.log.With("component", "subscription")),
		subscription.WithMaxExpires(maxExp))
	if err != nil {
		return err
	}
	s.subs = m
	s.blf.notify = func(number string) { m.Notify(dialoginfo.Event, number) }
	s.sip.HandleOutOfDialog(sip.SUBSCRIBE, m.HandleSubscribe(s.calls.HandleInDialog))
	return nil
}

// closeSubscriptions ends the subscriptions (before voicemail closes).
func (s *Server) closeSubscriptions() error {
	if s.subs == nil {
		return nil
	}
	return s.subs.Close()
}

// Subscriptions returns the number of live SUBSCRIBE subscriptions.
func (s *Server) Subscriptions() int {
	if s.subs == nil {
		return 0
	}
	return s.subs.Count()
}

// authorizeSubscribe authenticates the watcher by digest (401 challenge;
// From user = authenticated user) and asks the package whether the
// watcher may watch resource: their own mailbox for MWI, a subscriber's
// line as services.presence allows for dialog.
func (s *Server) authorizeSubscribe(_ context.Context, req *sip.Request, event string, resource string) error {
	switch strings.ToLower(event) {
	case mwi.Event:
		if !s.hasMailbox(resource) {
			return fmt.Errorf("subscribe to %s: %w", resource, sipx.ErrNotFound)
		}
	case dialoginfo.Event:
		if _, ok := s.subscriber(resource); !ok {
			return fmt.Errorf("subscribe to %s: %w", resource, sipx.ErrNotFound)
		}
	}
	from := req.From().Address.User
	user, _, err := s.auth.Verify(req, false)
	switch {
	case err == nil:
		if user != from {
			return &sipx.StatusError{Code: 403, Reason: "Forbidden", Err: fmt.Errorf("%s as %s: %w", user, from, sipx.ErrForbidden)}
		}
	case errors.Is(err, digestauth.ErrNoCredentials), errors.Is(err, digestauth.ErrStaleNonce), errors.Is(err, digestauth.ErrBadNonce), errors.Is(err, digestauth.ErrUnknownRealm):
		realm := s.cfg.DefaultRealm().Name
		if sub, ok := s.subscriber(from); ok && sub.Realm != "" {
			realm = sub.Realm
		}
		ch := s.auth.Challenge(req, realm, false, errors.Is(err, digestauth.ErrStaleNonce))
		return &sipx.StatusError{Code: ch.StatusCode, Reason: ch.Reason, Headers: ch.GetHeaders("WWW-Authenticate"), Err: err}
	default:
		return &sipx.StatusError{Code: 403, Reason: "Forbidden", Err: err}
	}
	if strings.EqualFold(event, dialoginfo.Event) {
		return s.mayWatch(user, resource)
	}
	if user != resource {
		return &sipx.StatusError{Code: 403, Reason: "Forbidden", Err: fmt.Errorf("%s watching %s: %w", user, resource, sipx.ErrForbidden)}
	}
	return nil
}
