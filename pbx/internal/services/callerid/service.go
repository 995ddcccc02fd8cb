// Package callerid is caller ID presentation and restriction (CLIP/CLIR,
// RFC 3323 privacy): whether a callee is shown the caller's number. The
// manual is silent on the codes; the project defaults, as users of
// Asterisk (NANP *67 / *82) and of ETSI exchanges (*31#) know them:
//
//	*31#           permanent CLIR on: every call hides the number
//	#31#           permanent CLIR off
//	*67<num>       hide the number on this call       (switch clir)
//	*31*<num>#     hide the number on this call       (switch clir)
//	*82<num>       show the number on this call, whatever CLIR says (switch clip)
//
// The permanent setting from the phone beats the configuration's default
// (subscribers[].clir); Store (sqlstore) keeps it across restarts. A
// per-call code rewrites the dialled number to <num> and sets the call's
// Presentation; the PBX (pbx/callerid.go) shows a restricted caller to
// every target as "Anonymous" <sip:anonymous@anonymous.invalid> with
// Privacy: id — on internal calls too — and the CDR keeps the real
// caller. Two services of one folder, so that srv-switch can switch each:
// CLIR (switch clir: the hiding codes) and CLIP (switch clip: the showing
// code). A caller who is no subscriber (a trunk) gets 403 for any of them.
package callerid

import (
	"context"
	"fmt"
	"strings"

	"pbxlab/pbx/internal/services"
	"pbxlab/pbx/internal/sipx"
)

// Switch names.
const (
	NameCLIR = "clir"
	NameCLIP = "clip"
)

// Op is what a dialled number asks of caller ID.
type Op uint8

// Ops.
const (
	None         Op = iota // not a caller ID code
	HideCall               // *67<num>, *31*<num>#
	ShowCall               // *82<num>
	PermanentOn            // *31#
	PermanentOff           // #31#
	Malformed              // a caller ID code, wrongly
)

// Parse reads the caller ID codes (the "#" raw, escaped or stripped);
// number is the one to call for HideCall and ShowCall.
func Parse(dialled string) (op Op, number string) {
	switch services.ParseToggle(dialled, "31") {
	case services.ToggleOn:
		return PermanentOn, ""
	case services.ToggleOff:
		return PermanentOff, ""
	}
	d := services.NormaliseCode(dialled)
	for _, pc := range []struct {
		prefix string
		op     Op
	}{{"*31*", HideCall}, {"*67", HideCall}, {"*82", ShowCall}} {
		rest, ok := strings.CutPrefix(d, pc.prefix)
		if !ok {
			continue
		}
		if !services.Digits(rest, 32) {
			return Malformed, ""
		}
		return pc.op, rest
	}
	if strings.HasPrefix(d, "#31") || strings.HasPrefix(d, "*31") {
		return Malformed, ""
	}
	return None, ""
}

// Store keeps the permanent CLIR setting subscribers set from the phone.
type Store interface {
	Get(ctx context.Context, subscriber string) (on, ok bool, err error)
	Put(ctx context.Context, subscriber string, on bool) error
}

// CLIR is the hiding service: the permanent setting and the per-call
// hide codes.
type CLIR struct {
	st         Store
	configured func(number string) bool // subscribers[].clir
}

// NewCLIR builds the service with its store; configured is the
// configuration's default per subscriber (nil: off for all).
func NewCLIR(st Store, configured func(number string) bool) (*CLIR, error) {
	if st == nil {
		return nil, fmt.Errorf("clir: no store")
	}
	if configured == nil {
		configured = func(string) bool { return false }
	}
	return &CLIR{st: st, configured: configured}, nil
}

// Name implements services.Service.
func (s *CLIR) Name() string { return NameCLIR }

// Claims implements services.Codes.
func (s *CLIR) Claims(dialled string) bool {
	op, _ := Parse(dialled)
	return op == HideCall || op == PermanentOn || op == PermanentOff || (op == Malformed && !strings.HasPrefix(services.NormaliseCode(dialled), "*82"))
}

// On reports whether subscriber hides its number on every call: the
// phone's setting, else the configuration's.
func (s *CLIR) On(ctx context.Context, subscriber string) (bool, error) {
	on, ok, err := s.st.Get(ctx, subscriber)
	if err != nil {
		return false, fmt.Errorf("clir of %s: %w", subscriber, err)
	}
	if ok {
		return on, nil
	}
	return s.configured(subscriber), nil
}

// Dialled implements services.Dialled.
func (s *CLIR) Dialled(_ context.Context, c *services.Call) (services.Verdict, error) {
	if !s.Claims(c.Dialled) {
		return services.Verdict{}, nil
	}
	switch op, number := Parse(c.Dialled); op {
	case HideCall:
		return perCall(c, number, services.PresentRestricted), nil
	case PermanentOn, PermanentOff:
		return services.ToggleDialled(c, "31", "clir", ErrMalformed, s.st.Put), nil
	default:
		return perCall(c, "", 0), nil // malformed: 403 for a trunk, else 484
	}
}

// CLIP is the showing service: the per-call show code.
type CLIP struct{}

// NewCLIP builds the service.
func NewCLIP() *CLIP { return &CLIP{} }

// Name implements services.Service.
func (*CLIP) Name() string { return NameCLIP }

// Claims implements services.Codes.
func (*CLIP) Claims(dialled string) bool {
	op, _ := Parse(dialled)
	return op == ShowCall || (op == Malformed && strings.HasPrefix(services.NormaliseCode(dialled), "*82"))
}

// Dialled implements services.Dialled.
func (c *CLIP) Dialled(_ context.Context, call *services.Call) (services.Verdict, error) {
	if !c.Claims(call.Dialled) {
		return services.Verdict{}, nil
	}
	op, number := Parse(call.Dialled)
	if op == Malformed {
		return perCall(call, "", 0), nil
	}
	return perCall(call, number, services.PresentAllowed), nil
}

// perCall rewrites the call to number with presentation p; a malformed
// code (number "") is 484, a caller who is no subscriber 403.
func perCall(c *services.Call, number string, p services.Presentation) services.Verdict {
	switch {
	case !c.Subscriber:
		return services.Refusal(403, "Forbidden", fmt.Errorf("caller ID code from %q: %w", c.Caller, sipx.ErrForbidden))
	case number == "":
		return services.Refusal(484, "Address Incomplete", fmt.Errorf("%q: %w", c.Dialled, ErrMalformed))
	}
	c.Presentation = p
	return services.Verdict{Kind: services.Rewrite, Number: number}
}
