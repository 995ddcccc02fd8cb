package password

import (
	"strings"

	"pbxlab/pbx/internal/services"
)

// PINLength is the length of a call password (the manual: 4 digits).
const PINLength = 4

// maxNumber bounds the number dialled after the password.
const maxNumber = 32

// Op is what a dialled number asks of the service.
type Op uint8

// Ops.
const (
	None      Op = iota // not the service's
	Call                // *47*ABCD*<num>#: call num with ABCD's owner's authority
	Malformed           // *47... that does not parse
)

// Code is a parsed dialled number.
type Code struct {
	Op     Op
	PIN    string
	Number string
}

// Parse reads the password call code (project default): "*47*" + the
// 4-digit password + "*" + the number + "#"; the "#" raw, escaped (%23) or
// missing, "*" possibly %2A. Anything else starting with *47 (no number, a
// password not of 4 digits, letters) is Malformed; other numbers None.
func Parse(dialled string) Code {
	d := services.NormaliseCode(dialled)
	if d != "*47" && !strings.HasPrefix(d, "*47*") && !strings.HasPrefix(d, "*47#") {
		return Code{}
	}
	rest, ok := strings.CutPrefix(d, "*47*")
	if !ok {
		return Code{Op: Malformed}
	}
	pin, num, ok := strings.Cut(rest, "*")
	if !ok || !ValidPIN(pin) || !services.Digits(num, maxNumber) {
		return Code{Op: Malformed}
	}
	return Code{Op: Call, PIN: pin, Number: num}
}
