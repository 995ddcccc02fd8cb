package callback

import (
	"strings"

	"pbxlab/pbx/internal/services"
)

// Op is what a dialled number asks of the service.
type Op uint8

// Ops.
const (
	None      Op = iota // not the service's
	Last                // *37#: call me back when the number I last found busy is free
	Number              // *37*<num>#: call me back when num is free
	Cancel              // #37#: cancel my request
	Malformed           // *37.../#37... that does not parse
)

var opNames = [...]string{"none", "last", "number", "cancel", "malformed"}

func (o Op) String() string {
	if int(o) < len(opNames) {
		return opNames[o]
	}
	return "op?"
}

// Code is a parsed dialled number.
type Code struct {
	Op     Op
	Number string // Number: the busy number
}

// maxNumber bounds the number of *37*<num>#.
const maxNumber = 32

// Parse reads the codes (project default, the digest's *NN# / #NN# style):
// "*37#" asks for a callback from the number the caller last found busy,
// "*37*<num>#" from num, "#37#" cancels. The trailing "#" may be raw,
// escaped (%23) or missing; "*" may arrive as %2A. A number starting with
// *37 or #37 that does not parse is Malformed; *370, #38# ... None.
func Parse(dialled string) Code {
	d := services.NormaliseCode(dialled)
	switch {
	case d == "*37":
		return Code{Op: Last}
	case d == "#37":
		return Code{Op: Cancel}
	case strings.HasPrefix(d, "*37*"):
		n := d[len("*37*"):]
		if !services.Digits(n, maxNumber) {
			return Code{Op: Malformed}
		}
		return Code{Op: Number, Number: n}
	case strings.HasPrefix(d, "*37#"), strings.HasPrefix(d, "#37#"), strings.HasPrefix(d, "#37*"):
		return Code{Op: Malformed}
	}
	return Code{}
}
