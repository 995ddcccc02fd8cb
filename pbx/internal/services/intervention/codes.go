package intervention

import (
	"strings"

	"pbxlab/pbx/internal/services"
)

// Op is what a dialled number asks of the service.
type Op uint8

// Ops.
const (
	None      Op = iota // not the service's
	Intervene           // *89*<num># or *89*ABCD<num>#
	Leave               // *89#: leave the intervention
	Malformed           // *89... that does not parse
)

var opNames = [...]string{"none", "intervene", "leave", "malformed"}

func (o Op) String() string {
	if int(o) < len(opNames) {
		return opNames[o]
	}
	return "op?"
}

// Code is a parsed dialled number.
type Code struct {
	Op Op
	// Digits follow *89* (Intervene): the target's number, or a 4-digit
	// call password and the number (Service.Resolve tells which).
	Digits string
}

// maxDigits bounds the digits of *89*: a password and a 32-digit number.
const maxDigits = 4 + 32

// LeaveCode is the code that ends an intervention (the manual: *89#), as
// the intervener sends it as DTMF in the intervention call.
const LeaveCode = "*89#"

// Parse reads the manual's codes: "*89*" + digits + "#" intervenes,
// "*89#" leaves; the "#" raw, escaped (%23) or missing, "*" possibly
// %2A. Anything else starting with *89 (no digits, letters, too long,
// "*89#" followed by more) is Malformed; other numbers (*8*…, *890) None.
func Parse(dialled string) Code {
	d := services.NormaliseCode(dialled)
	switch {
	case d == "*89":
		return Code{Op: Leave}
	case strings.HasPrefix(d, "*89*"):
		n := d[len("*89*"):]
		if !services.Digits(n, maxDigits) {
			return Code{Op: Malformed}
		}
		return Code{Op: Intervene, Digits: n}
	case strings.HasPrefix(d, "*89#"):
		return Code{Op: Malformed}
	}
	return Code{}
}
