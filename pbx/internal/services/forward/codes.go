package forward

import (
	"strings"

	"pbxlab/pbx/internal/services"
)

// Kind is a kind of forwarding.
type Kind uint8

// Kinds, in the order a call meets them.
const (
	Unconditional Kind = iota // every call, at once
	Busy                      // the callee is busy (486 from all contacts, DND)
	NoReply                   // the callee did not answer in no_reply_after
	Unreachable               // the callee is not registered (no contact)
)

// Kinds lists every kind.
var kinds = [...]Kind{Unconditional, Busy, NoReply, Unreachable}

var kindNames = [...]string{"unconditional", "busy", "no_reply", "unreachable"}

// String is the kind's name in the configuration and the store.
func (k Kind) String() string { return kindNames[k] }

// Reason is the kind's RFC 5806 diversion-reason.
func (k Kind) Reason() string {
	return [...]string{"unconditional", "user-busy", "no-answer", "unavailable"}[k]
}

// codes are the kinds' service codes (project default, the manual
// digest's table; 42 for unreachable is this project's).
var codes = [...]string{"57", "40", "41", "42"}

// Op is what a dialled number asks of the service.
type Op uint8

// Ops.
const (
	None      Op = iota // not the service's
	Set                 // *57*number#
	Clear               // #57#
	Malformed           // *57... or #57... that does not parse
)

// Code is a parsed dialled number.
type Code struct {
	Op     Op
	Kind   Kind
	Number string // the target of a Set
}

// maxNumber bounds a forward target.
const maxNumber = 32

// Normalise undoes the escaping of "#" and "*" in a Request-URI user part
// (%23, %2A) and drops one trailing "#": the end-of-dialling mark may
// arrive escaped, raw or stripped.
func Normalise(dialled string) string { return services.NormaliseCode(dialled) }

// Parse reads the forwarding codes: *57*number# sets unconditional
// forwarding to number, #57# clears it; 40 is on busy, 41 on no reply, 42
// on unreachable. A number starting with one of them that does not parse
// is Malformed; anything else is None.
func Parse(dialled string) Code {
	d := Normalise(dialled)
	for _, k := range kinds {
		switch set, clear := "*"+codes[k], "#"+codes[k]; {
		case d == clear:
			return Code{Op: Clear, Kind: k}
		case strings.HasPrefix(d, set+"*"):
			n := d[len(set)+1:]
			if !isNumber(n) {
				return Code{Op: Malformed, Kind: k}
			}
			return Code{Op: Set, Kind: k, Number: n}
		case d == set, strings.HasPrefix(d, clear+"*"), strings.HasPrefix(d, clear+"#"):
			return Code{Op: Malformed, Kind: k}
		}
	}
	return Code{}
}

func isNumber(s string) bool {
	return s != "" && len(s) <= maxNumber && strings.Trim(s, "0123456789") == ""
}
