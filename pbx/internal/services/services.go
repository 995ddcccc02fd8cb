// Package services is what the call services have in common: the small
// interface the PBX calls at defined points of a new call's routing, and
// the chain that runs the services there in order, the way coredns runs
// its plugins.
//
// Each service lives in a folder of its own (pbx/internal/services/<name>/:
// service.go, config.go, service_test.go, README.md) and implements Service
// plus the hook interfaces of the points it cares about:
//
//   - Dialled, before number analysis, on the number as dialled: feature
//     codes (a service answers them itself), abbreviated dialling (the
//     number analysed is another);
//   - Routed, after number analysis and the substitution before it, before
//     the call goes anywhere: outgoing call authority, inter-group
//     restriction.
//
// The chain asks the service switches (switches.Set, the manual's
// srv-switch) before each hook: a service switched off for the caller's
// number is skipped. Emergency numbers (emergency.List) come before every
// service at every point: once a call is an emergency call no service of
// the chain sees it (no switch, no authority, no restriction, no
// DND-like service), whatever the switches say.
//
// The package knows nothing of the call layer: a hook returns a Verdict (a
// refusal carries a sipx status error); the PBX (pbx/services.go) turns it
// into a call decision.
package services

import (
	"context"
	"fmt"
	"time"
)

// Call is a new call as the services see it.
type Call struct {
	// Caller is the caller's number.
	Caller string
	// Subscriber is true for a caller inside the LS domain (a subscriber
	// of this PBX that authenticated), false for a trusted peer (a trunk).
	Subscriber bool
	// Dialled is the number as dialled (the Request-URI user, a trailing
	// "#" or "%23" removed); a Rewrite changes it for the rest of the call.
	Dialled string
	// Called is, at the Routed point, the number number analysis analysed:
	// the dialled number after the substitution before analysis.
	Called string
	// Callee is, at the Routed point, the subscriber number the call is
	// for; "" when it is not for a subscriber (a route out, an IVR ...).
	Callee string
	// Internal is, at the Routed point, true when the destination is inside
	// the PBX (a subscriber, a group, an IVR, a conference, a feature) and
	// false when the call routes out.
	Internal bool
	// Emergency is set by the chain when Dialled or Called is an emergency
	// number; no service sees an emergency call.
	Emergency bool
	// Diverted are, at the Terminating and Failed points, the subscriber
	// numbers the call was diverted from so far, oldest first (loop
	// detection, the hop limit).
	Diverted []string
	// Presentation is the caller's choice for this call of showing its
	// number, set by a per-call code at the Dialled point (callerid).
	Presentation Presentation
}

// VerdictKind is what a hook decided.
type VerdictKind uint8

// Verdict kinds.
const (
	// Continue lets the call go on to the next service and to routing.
	Continue VerdictKind = iota
	// Rewrite replaces the dialled number (Verdict.Number) and goes on.
	Rewrite
	// Refuse ends the call with Verdict.Err (a *sipx.StatusError: 403 for
	// a barred call, which the PBX intercepts with the barred prompt).
	Refuse
	// Feature is a feature code the service took: the PBX runs Apply and
	// confirms it to the caller (confirmation tone, then release).
	Feature
	// Divert (Terminating and Failed points only) sends the call on to
	// Verdict.Number, analysed again, diverted from the callee with
	// Verdict.Reason (terminating.go).
	Divert
)

var verdictNames = [...]string{"continue", "rewrite", "refuse", "feature", "divert"}

func (k VerdictKind) String() string {
	if int(k) < len(verdictNames) {
		return verdictNames[k]
	}
	return fmt.Sprintf("verdict(%d)", k)
}

// Verdict is a hook's answer.
type Verdict struct {
	Kind VerdictKind
	// Number is the new dialled number of a Rewrite.
	Number string
	// Err is the refusal of a Refuse.
	Err error
	// Apply performs a Feature (stores the setting); the PBX calls it only
	// when it can confirm the code to the caller.
	Apply func(ctx context.Context) error
	// By names the service that decided (set by the chain), for logs.
	By string
	// Reason is the RFC 5806 diversion reason of a Divert (unconditional,
	// user-busy, no-answer, unavailable).
	Reason string
	// Ring, on a Continue at the Terminating point, bounds how long the
	// callee rings before the call fails as not answered (forwarding on
	// no reply); 0 leaves the call's no-answer timer alone.
	Ring time.Duration
	// As, on a Rewrite, is the subscriber the rest of the call's services
	// take for the caller (Call.Caller): a password call runs with the
	// password owner's switches and outgoing authority. "" keeps it.
	As string
}

// Service is one call service.
type Service interface {
	// Name is the service's name in the service switches (srv-switch
	// <name> on|off) and in logs.
	Name() string
}

// Dialled is the hook of a service that acts on the number as dialled,
// before number analysis.
type Dialled interface {
	Service
	Dialled(ctx context.Context, c *Call) (Verdict, error)
}

// Codes is implemented by a Dialled service that owns feature codes: when
// the service is switched off for the caller, a number it claims is
// refused (403, the project default's "service not enabled") instead of
// going to number analysis.
type Codes interface {
	Claims(dialled string) bool
}

// Routed is the hook of a service that acts once number analysis found
// where the call goes, before it goes there.
type Routed interface {
	Service
	Routed(ctx context.Context, c *Call) (Verdict, error)
}
