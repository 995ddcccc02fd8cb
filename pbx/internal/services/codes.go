package services

import (
	"context"
	"fmt"
	"strings"

	"pbxlab/pbx/internal/sipx"
)

// codeEscapes turns the escaped forms of the feature code characters back
// into themselves: phones send a dialled "#" raw, as %23, or not at all
// (the call layer may strip a trailing one), and some escape "*" as %2A.
var codeEscapes = strings.NewReplacer("%23", "#", "%2A", "*", "%2a", "*")

// NormaliseCode is a dialled feature code as every service reads it: "#"
// and "*" unescaped and one trailing "#" dropped, so that *56#, *56%23 and
// *56 are one code.
func NormaliseCode(dialled string) string {
	if strings.Contains(dialled, "%") {
		dialled = codeEscapes.Replace(dialled)
	}
	return strings.TrimSuffix(dialled, "#")
}

// Toggle is what a dialled number asks of an on/off service (do not
// disturb, call waiting): ParseToggle.
type Toggle uint8

// Toggles.
const (
	ToggleNone      Toggle = iota // not the service's code
	ToggleOn                      // *NN#
	ToggleOff                     // #NN#
	ToggleMalformed               // *NN*…, #NN*…, #NN##, *NN##: the service's code, wrongly
)

// ParseToggle reads the on/off codes *NN# and #NN# of the service whose
// code is nn (e.g. "56"), the "#" raw, escaped or stripped.
func ParseToggle(dialled, nn string) Toggle {
	d := NormaliseCode(dialled)
	on, off := "*"+nn, "#"+nn
	switch {
	case d == on:
		return ToggleOn
	case d == off:
		return ToggleOff
	case strings.HasPrefix(d, on+"*"), strings.HasPrefix(d, off+"*"), strings.HasPrefix(d, off+"#"), strings.HasPrefix(d, on+"#"):
		return ToggleMalformed
	}
	return ToggleNone
}

// Refusal is the verdict that refuses a call with a SIP status (the
// services' one way to say 403, 404, 484, 486 ...).
func Refusal(code int, reason string, err error) Verdict {
	return Verdict{Kind: Refuse, Err: &sipx.StatusError{Code: code, Reason: reason, Err: err}}
}

// ToggleDialled is the Dialled point of an on/off service whose codes are
// *nn# and #nn# (ParseToggle): not its code, go on; from a caller who is no
// subscriber (a trunk), 403; malformed, 484 wrapping malformed; else a
// feature verdict that stores the caller's setting with put. what names the
// service in errors.
func ToggleDialled(c *Call, nn, what string, malformed error, put func(ctx context.Context, subscriber string, on bool) error) Verdict {
	op := ParseToggle(c.Dialled, nn)
	switch {
	case op == ToggleNone:
		return Verdict{}
	case !c.Subscriber:
		return Refusal(403, "Forbidden", fmt.Errorf("%s code from %q: %w", what, c.Caller, sipx.ErrForbidden))
	case op == ToggleMalformed:
		return Refusal(484, "Address Incomplete", fmt.Errorf("%q: %w", c.Dialled, malformed))
	}
	caller := c.Caller
	return Verdict{Kind: Feature, Apply: func(ctx context.Context) error { return put(ctx, caller, op == ToggleOn) }}
}

// Digits reports whether s is 1 to max ASCII digits: the number or slot a
// feature code carries (*8*<num>#, *6*<slot>#, *37*<num>#).
func Digits(s string, max int) bool {
	return s != "" && len(s) <= max && strings.Trim(s, "0123456789") == ""
}
