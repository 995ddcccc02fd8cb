package pickup

import (
	"strings"

	"pbxlab/pbx/internal/services"
)

// Op is what a dialled number asks of the service.
type Op uint8

// Ops.
const (
	None      Op = iota // not the service's
	Group               // *8#: a call ringing a member of the picker's groups
	Directed            // *8*<num>#: a call ringing num
	Malformed           // *8... that does not parse
)

var opNames = [...]string{"none", "group", "directed", "malformed"}

func (o Op) String() string {
	if int(o) < len(opNames) {
		return opNames[o]
	}
	return "op?"
}

// Code is a parsed dialled number.
type Code struct {
	Op     Op
	Number string // Directed: the ringing number
}

// maxNumber bounds the number of a directed pickup.
const maxNumber = 32

// Parse reads the pickup codes (project default, the manual digest's
// table): "*8#" group pickup, "*8*<num>#" directed pickup. The trailing
// "#" may be raw, escaped (%23) or missing; "*" may arrive as %2A. A
// number starting with *8 that does not parse (letters, no number, too
// long) is Malformed; anything else, *80 and *89* included, None.
func Parse(dialled string) Code {
	d := services.NormaliseCode(dialled)
	switch {
	case d == "*8":
		return Code{Op: Group}
	case strings.HasPrefix(d, "*8*"):
		n := d[len("*8*"):]
		if !services.Digits(n, maxNumber) {
			return Code{Op: Malformed}
		}
		return Code{Op: Directed, Number: n}
	case strings.HasPrefix(d, "*8#"):
		return Code{Op: Malformed} // "*8#" followed by more
	}
	return Code{}
}
