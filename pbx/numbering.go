package pbx

import (
	"errors"
	"fmt"

	"pbxlab/pbx/internal/call"
	"pbxlab/pbx/internal/numbering"
	"pbxlab/pbx/internal/sipx"
)

// initNumbering builds the numbering plan (config numbering: and the
// subscribers).
func (s *Server) initNumbering() error {
	p, err := s.cfg.NumberingPlan()
	if err != nil {
		return fmt.Errorf("numbering: %w", err)
	}
	s.plan.Store(p)
	return nil
}

// analysed is a call after number substitution and analysis.
type analysed struct {
	result  numbering.Result
	calling string // the calling number the callee is shown
	called  string // the called number after substitution
}

// analyse substitutes and analyses a new call's numbers (the manual's
// Feature and Location Server modules): substitution before analysis
// (rules of the calling number, the originating device, the LS), number
// analysis in the caller's location, substitution after analysis (the
// full precedence list, ending in location-based substitution). A caller
// inside the LS domain is a subscriber; a trusted peer (a trunk) is not.
// A trunk's call is analysed in the peer's context (peers[].context) and
// originates at its device (peers[].device).
// dialled is the number after the first substitution, for the services
// that own exact numbers (IVRs, conferences, voicemail).
func (s *Server) analyse(in call.Incoming) (a analysed, dialled string, err error) {
	sub, inDomain := s.subscriber(in.Caller.Number)
	inDomain = inDomain && !in.Caller.Trusted
	plan := s.plan.Load()
	from, numCtx, origDevice := plan.Home, numbering.DefaultContext, sub.Device
	if inDomain {
		from = s.cfg.SubscriberLocation(sub)
	}
	beforeInDomain := inDomain
	if p, ok := s.callerPeer(in.Caller); ok {
		// a trunk's call: its DID is analysed in the peer's context, at its
		// device; a device inside the LS domain has its originating-device
		// rules rewrite the DID before analysis (e.g. to an extension),
		// while the carrier's calling number is never location-substituted
		numCtx, origDevice = p.cfg.NumberingContext(), p.cfg.Device
		beforeInDomain = p.cfg.Device != "" && s.cfg.DeviceInDomain(p.cfg.Device)
		if l := s.cfg.DeviceLocation(p.cfg.Device); l != (numbering.Location{}) {
			from = l
		}
	}
	c := numbering.Call{Calling: in.Caller.Number, Called: in.Dialled, OrigDevice: origDevice, CallerInDomain: beforeInDomain}
	c, _ = plan.Substitute(c, numbering.Before)
	r, err := plan.Analyse(numCtx, from, c.Called)
	if err != nil {
		return analysed{result: r}, c.Called, err
	}
	after, _ := plan.Substitute(numbering.Call{Calling: c.Calling, Called: c.Called, OrigDevice: origDevice, TermDevice: r.Device,
		CallerInDomain: inDomain, CallerAt: from, CalleeAt: r.At.Location, CalledLocal: r.Called}, numbering.After)
	return analysed{result: r, calling: after.Calling, called: after.Called}, c.Called, nil
}

// analysisError is the refusal of a number analysis failed on.
func analysisError(r numbering.Result, err error) error {
	switch {
	case errors.Is(err, numbering.ErrIncomplete):
		return &sipx.StatusError{Code: 484, Reason: "Address Incomplete", Err: err}
	case errors.Is(err, numbering.ErrBarred):
		return &sipx.StatusError{Code: r.Cause, Reason: sipx.ReasonPhrase(r.Cause), Err: err}
	default:
		return fmt.Errorf("%w: %w", sipx.ErrNotFound, err)
	}
}

// notYet refuses a destination the PBX cannot serve yet, saying so.
func notYet(r numbering.Result) call.Decision {
	return call.Decision{Kind: call.Reject, Err: &sipx.StatusError{Code: 480, Reason: "Temporarily Unavailable",
		Err: fmt.Errorf("%s %q (%s): %w", r.Kind, r.Target, r.Prefix, ErrNotYet)}}
}

// serviceNumber takes an analysis result that names an IVR or a
// conference room by its number (an entry of kind ivr or conference).
func (s *Server) serviceNumber(in call.Incoming, r numbering.Result) (call.Decision, bool) {
	in.Dialled = r.Target
	switch r.Kind {
	case numbering.IVR:
		return s.routeIVR(in)
	case numbering.Conference:
		return s.conferenceRoute(in)
	}
	return call.Decision{}, false
}
