package pbx

import (
	"context"
	"fmt"

	"pbxlab/pbx/internal/call"
	"pbxlab/pbx/internal/numbering"
	"pbxlab/pbx/internal/services"
	"pbxlab/pbx/internal/services/abbreviated"
	"pbxlab/pbx/internal/services/abbreviated/sqlstore"
	"pbxlab/pbx/internal/services/authority"
	"pbxlab/pbx/internal/services/emergency"
	"pbxlab/pbx/internal/services/hunt"
	huntsql "pbxlab/pbx/internal/services/hunt/sqlstore"
	"pbxlab/pbx/internal/services/pickup"
	"pbxlab/pbx/internal/services/presence"
	"pbxlab/pbx/internal/services/restriction"
	"pbxlab/pbx/internal/services/switches"
)

// The call services (pbx/internal/services): route asks their chain at two
// points of a new call — Dialled before number analysis (feature codes,
// abbreviated dialling), Routed once analysis found where the call goes
// (outgoing call authority, inter-group restriction) — and turns each
// verdict into a call decision here. A refusal is a Reject (intercepted:
// the caller hears the cause's prompt, "call barred" for 403, then the
// status); a feature code is applied and confirmed (featurecode.go).

// initServices builds the services of services: and their chain, in the
// order they run (emergency numbers and switches are the chain's own).
func (s *Server) initServices(ctx context.Context) error {
	cfg := s.cfg.Services
	sw, err := switches.New(cfg.Switches.SwitchesConfig())
	if err != nil {
		return fmt.Errorf("services.switches: %w", err)
	}
	auth, err := authority.New(cfg.Authority)
	if err != nil {
		return fmt.Errorf("services.authority: %w", err)
	}
	rest, err := restriction.New(cfg.GroupRestriction)
	if err != nil {
		return fmt.Errorf("services.group_restriction: %w", err)
	}
	st, err := sqlstore.New(ctx, s.db)
	if err != nil {
		return fmt.Errorf("services.abbreviated: %w", err)
	}
	abbr, err := abbreviated.New(cfg.Abbreviated, st)
	if err != nil {
		return fmt.Errorf("services.abbreviated: %w", err)
	}
	fwd, dnd, err := s.terminatingServices(ctx)
	if err != nil {
		return err
	}
	wait, err := s.waitingService(ctx) // waiting.go
	if err != nil {
		return err
	}
	hst, err := huntsql.New(ctx, s.db)
	if err != nil {
		return fmt.Errorf("services.hunt: %w", err)
	}
	if s.hunt, err = hunt.New(cfg.Hunt, hst); err != nil {
		return fmt.Errorf("services.hunt: %w", err)
	}
	if s.pickup, err = pickup.New(cfg.Pickup); err != nil {
		return fmt.Errorf("services.pickup: %w", err)
	}
	if err := s.initPark(); err != nil { // park.go
		return err
	}
	cbs, err := s.callbackService() // callback.go
	if err != nil {
		return fmt.Errorf("services.callback: %w", err)
	}
	if err := s.holdService(sw); err != nil { // hold.go
		return err
	}
	pw, ci, err := s.interventionServices() // password.go
	if err != nil {
		return err
	}
	hot, sec, err := s.hotlineServices(ctx) // hotline.go
	if err != nil {
		return err
	}
	s.hotline = hot
	if err := s.initRingOuts(ctx, sw); err != nil { // ringouts.go
		return err
	}
	if s.presence, err = presence.New(cfg.Presence, sw); err != nil {
		return fmt.Errorf("services.presence: %w", err)
	}
	clir, clip, err := s.callerIDServices(ctx) // callerid_codes.go
	if err != nil {
		return err
	}
	// The order of the chain: caller-ID codes first (*67 before
	// abbreviated dialling: *67**12); the secretary's filter before the
	// boss's DND and call waiting (a filtered call never rings the boss),
	// after the boss's unconditional forward (the boss's own choice).
	s.svc, err = services.NewChain(sw, emergency.New(cfg.Emergency),
		clir,
		clip,
		abbr,
		s.hunt,
		fwd,
		sec,
		dnd,
		wait,
		auth,
		rest,
		hot,
		pw,
		ci,
		s.ringOuts.wakeup,
		cbs,
	)
	if err != nil {
		return err
	}
	return s.initThreeway(sw) // threeway.go
}

// serviceCall is a new call as the services see it.
func (s *Server) serviceCall(in call.Incoming) *services.Call {
	_, sub := s.subscriber(in.Caller.Number)
	return &services.Call{Caller: in.Caller.Number, Subscriber: sub && !in.Caller.Trusted, Dialled: in.Dialled}
}

// servicesDialled runs the Dialled point: a rewritten number replaces
// in.Dialled; done is true when the verdict decided the call.
func (s *Server) servicesDialled(ctx context.Context, in *call.Incoming, sc *services.Call) (d call.Decision, done bool, err error) {
	v, err := s.svc.Dialled(ctx, sc)
	if err != nil {
		return call.Decision{}, true, err
	}
	s.notePresentation(*in, sc) // a per-call caller ID code (callerid_codes.go)
	if sc.Emergency {
		s.log.Info("emergency call", "caller", sc.Caller, "dialled", sc.Dialled)
	}
	switch v.Kind {
	case services.Rewrite:
		s.log.Debug("service rewrote the number", "caller", sc.Caller, "dialled", in.Dialled, "number", v.Number)
		in.Dialled = v.Number
	case services.Refuse:
		s.log.Info("service refused the call", "service", v.By, "caller", sc.Caller, "dialled", in.Dialled, "error", v.Err)
		return call.Decision{Kind: call.Reject, Callee: in.Dialled, Err: v.Err}, true, nil
	case services.Feature:
		return s.featureCode(ctx, *in, v), true, nil
	}
	return call.Decision{}, false, nil
}

// servicesRouted runs the Routed point on an analysed call; done is true
// when a service refused it.
func (s *Server) servicesRouted(ctx context.Context, in call.Incoming, a analysed, sc *services.Call) (call.Decision, bool, error) {
	sc.Called = in.Dialled
	sc.Internal = a.result.Kind != numbering.Route
	if a.result.Kind == numbering.Subscriber {
		sc.Callee = a.result.Target
	}
	wasEmergency := sc.Emergency
	v, err := s.svc.Routed(ctx, sc)
	if err != nil {
		return call.Decision{}, true, err
	}
	if sc.Emergency && !wasEmergency {
		s.log.Info("emergency call", "caller", sc.Caller, "dialled", sc.Dialled, "called", sc.Called)
	}
	if v.Kind != services.Refuse {
		return call.Decision{}, false, nil
	}
	s.log.Info("service barred the call", "service", v.By, "caller", sc.Caller, "called", sc.Called, "error", v.Err)
	return call.Decision{Kind: call.Reject, Callee: sc.Called, Err: v.Err}, true, nil
}
