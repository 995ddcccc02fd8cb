package pbx

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/mwi"
	"pbxlab/pbx/internal/call"
	"pbxlab/pbx/internal/sipx"
	"pbxlab/pbx/internal/subscription"
	"pbxlab/pbx/internal/voicemail"
)

// The PBX's side of voicemail: the service (pbx/internal/voicemail) takes
// calls that fail busy or unanswered for a subscriber with a mailbox
// (OnFailure) and the voicemail number's calls (route); MWI is the
// message-summary event package of the subscription manager
// (pbx/internal/subscription), plus unsolicited NOTIFYs to registered
// contacts when voicemail.mwi_unsolicited is on.

// vmState is what the PBX keeps for voicemail (nil when no subscriber
// has a mailbox and no voicemail number is set).
type vmState struct {
	svc *voicemail.Service
	tmp string // a temporary folder the PBX made (in-memory store), removed at Close
}

// initVoicemail builds the voicemail service (its MWI package joins the
// subscription manager, subscriptions.go).
func (s *Server) initVoicemail(ctx context.Context) error {
	vc := s.cfg.Voicemail
	if len(s.cfg.Mailboxes()) == 0 && vc.Number == "" {
		return nil
	}
	st := &vmState{}
	dir := vc.Dir
	switch {
	case dir != "":
	case s.cfg.Store.Path != "":
		dir = filepath.Join(filepath.Dir(s.cfg.Store.Path), "voicemail")
	default:
		tmp, err := os.MkdirTemp("", "pbxlab-voicemail-")
		if err != nil {
			return fmt.Errorf("voicemail folder: %w", err)
		}
		dir, st.tmp = tmp, tmp
	}
	s.vm = st
	var err error
	st.svc, err = voicemail.New(ctx, voicemail.Config{Dir: dir, MaxMessage: vc.MaxMessage, Idle: vc.Idle}, s.db, s.media,
		voicemail.WithClock(s.clock), voicemail.WithLogger(s.log.With("component", "voicemail")), voicemail.WithOnChange(s.mailboxChanged))
	if err != nil {
		return err
	}
	return nil
}

// closeVoicemail ends the subscriptions and waits for recordings to close
// (after the calls ended: each call's end files its message).
func (s *Server) closeVoicemail() error {
	if s.vm == nil {
		return nil
	}
	var errs []error
	if s.vm.svc != nil {
		errs = append(errs, s.vm.svc.Close())
	}
	if s.vm.tmp != "" {
		errs = append(errs, os.RemoveAll(s.vm.tmp))
	}
	return errors.Join(errs...)
}

// Voicemail returns the voicemail service (nil when off).
func (s *Server) Voicemail() *voicemail.Service {
	if s.vm == nil {
		return nil
	}
	return s.vm.svc
}

// hasMailbox reports whether number is a subscriber with a mailbox.
func (s *Server) hasMailbox(number string) bool {
	sub, ok := s.subscriber(number)
	return ok && sub.Voicemail.Enabled && s.vm != nil
}

// routeVoicemail takes the voicemail number: the caller's own mailbox
// (a subscriber without one gets 404; a trusted peer, 403).
func (s *Server) routeVoicemail(in call.Incoming) (call.Decision, bool) {
	if s.vm == nil || s.cfg.Voicemail.Number == "" || in.Dialled != s.cfg.Voicemail.Number {
		return call.Decision{}, false
	}
	switch {
	case in.Caller.Trusted:
		return call.Decision{Kind: call.Reject, Err: sipx.ErrForbidden}, true
	case !s.hasMailbox(in.Caller.Number):
		return call.Decision{Kind: call.Reject, Err: fmt.Errorf("voicemail for %s: %w", in.Caller.Number, sipx.ErrNotFound)}, true
	case s.media.Require() != nil:
		return call.Decision{Kind: call.Reject, Err: s.media.Require()}, true
	}
	return call.Decision{Kind: call.ToService, Callee: in.Dialled, Service: s.vm.svc.Retrieve(in.Caller.Number)}, true
}

// ivrVoicemail is the IVR's voicemail action: the caller, whom the IVR
// answered, leaves a message in mailbox.
func (s *Server) ivrVoicemail(c *call.Call, mailbox string) error {
	if !s.hasMailbox(mailbox) {
		return fmt.Errorf("voicemail %s: %w", mailbox, voicemail.ErrNoMailbox)
	}
	c.Log().Info("ivr to voicemail", "mailbox", mailbox)
	return s.vm.svc.DepositAnswered(c, mailbox)
}

// voicemailInfo takes SIP INFO DTMF of a call voicemail answered.
func (s *Server) voicemailInfo(c *call.Call, req *sip.Request) (*sip.Response, bool) {
	if s.vm == nil {
		return nil, false
	}
	return s.vm.svc.Info(c, req)
}

// voicemailOnFailure sends a call that found its callee busy, unanswered
// or unreachable to the callee's mailbox, as subscribers[].voicemail says.
func (s *Server) voicemailOnFailure(_ context.Context, f call.Failure) (*call.Decision, error) {
	if !s.hasMailbox(f.Callee) || !s.media.Enabled() {
		return nil, nil
	}
	callee, _ := s.subscriber(f.Callee)
	vm := callee.Voicemail
	switch {
	case f.Kind == call.Busy && vm.OnBusy:
	case (f.Kind == call.NoAnswer || f.Kind == call.Unreachable) && vm.OnNoAnswer:
	default:
		return nil, nil
	}
	f.Call.Log().Info("to voicemail", "mailbox", f.Callee, "why", f.Kind)
	return &call.Decision{Kind: call.ToService, Callee: f.Callee, Service: s.vm.svc.Deposit(f.Callee)}, nil
}

// mailboxChanged tells MWI watchers: NOTIFY in every subscription, and
// unsolicited NOTIFYs to the registered contacts when configured.
func (s *Server) mailboxChanged(mailbox string) {
	if s.vm == nil || s.subs == nil {
		return
	}
	s.subs.Notify(mwi.Event, mailbox)
	if !s.cfg.Voicemail.MWIUnsolicited {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	targets, err := s.locate(ctx, mailbox)
	if err != nil {
		s.log.Warn("mwi: locate", "mailbox", mailbox, "error", err)
		return
	}
	out := make([]subscription.Target, 0, len(targets))
	for _, t := range targets {
		out = append(out, subscription.Target{URI: t.URI, Transport: t.Transport, Dest: t.Dest})
	}
	if err := s.subs.NotifyOut(ctx, mwi.Event, mailbox, s.account(mailbox), out); err != nil {
		s.log.Debug("mwi: unsolicited notify", "mailbox", mailbox, "error", err)
	}
}

// account is the mailbox's URI (Message-Account, the unsolicited NOTIFY's
// From and To).
func (s *Server) account(mailbox string) sip.Uri {
	host := s.cfg.DefaultRealm().Name
	if ap, ok := s.Addr("udp"); ok {
		host = ap.Addr().String()
		return sip.Uri{Scheme: "sip", User: mailbox, Host: host, Port: int(ap.Port()), UriParams: sip.NewParams(), Headers: sip.NewParams()}
	}
	return sip.Uri{Scheme: "sip", User: mailbox, Host: host, UriParams: sip.NewParams(), Headers: sip.NewParams()}
}

// mwiPackage is message-summary (RFC 3842) over the voicemail store.
type mwiPackage struct{ s *Server }

func (mwiPackage) Event() string       { return mwi.Event }
func (mwiPackage) ContentType() string { return mwi.ContentType }

func (p mwiPackage) State(ctx context.Context, mailbox string) ([]byte, error) {
	c, err := p.s.vm.svc.Counts(ctx, mailbox)
	if err != nil {
		return nil, err
	}
	u := p.s.account(mailbox)
	return mwi.Format(mwi.ForMailbox(u.String(), c.New, c.Old)), nil
}

// VoicemailMessage is one message of a mailbox.
type VoicemailMessage struct {
	ID       int64
	Caller   string
	At       time.Time
	Duration time.Duration
	// Path is the message's WAV file.
	Path string
	// New: not heard yet.
	New bool
}

// VoicemailMessages lists mailbox's messages, new first (none when
// voicemail is off).
func (s *Server) VoicemailMessages(ctx context.Context, mailbox string) ([]VoicemailMessage, error) {
	if s.vm == nil {
		return nil, nil
	}
	ms, err := s.vm.svc.Messages(ctx, mailbox)
	if err != nil {
		return nil, err
	}
	out := make([]VoicemailMessage, 0, len(ms))
	for _, m := range ms {
		out = append(out, VoicemailMessage{ID: m.ID, Caller: m.Caller, At: m.At, Duration: m.Duration, Path: s.vm.svc.Path(m), New: m.New})
	}
	return out, nil
}

// ReadRecording (recording.go) reads a voicemail message's WAV too.
