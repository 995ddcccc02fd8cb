package abbreviated

import (
	"strings"

	"pbxlab/pbx/internal/services"
)

// Op is what a dialled number asks of the service.
type Op uint8

// Ops.
const (
	None      Op = iota // not the service's
	Set                 // *51*nn*number#
	Clear               // #51*nn#
	Use                 // **nn
	Malformed           // *51*... or #51*... that does not parse
)

var opNames = [...]string{"none", "set", "clear", "use", "malformed"}

func (o Op) String() string { return opNames[o] }

// Code is a parsed dialled number.
type Code struct {
	Op     Op
	Code   string // nn
	Number string // the number of a Set
}

// maxNumber bounds the number a code stands for.
const maxNumber = 32

// Normalise undoes the escaping of "#" and "*" in a Request-URI user part
// (%23, %2A) and drops one trailing "#": the end-of-dialling mark may
// arrive escaped, raw or stripped.
func Normalise(dialled string) string { return services.NormaliseCode(dialled) }

// Parse reads the service's feature codes (project default, the manual
// digest's table): *51*nn*number# sets the personal code nn, #51*nn#
// clears it, **nn dials it; nn has digits digits. A number starting with
// *51* or #51* that does not parse is Malformed; anything else is None.
func Parse(dialled string, digits int) Code {
	d := Normalise(dialled)
	switch {
	case strings.HasPrefix(d, "*51*"):
		code, number, ok := strings.Cut(d[len("*51*"):], "*")
		if !ok || !isCode(code, digits) || !isNumber(number) {
			return Code{Op: Malformed}
		}
		return Code{Op: Set, Code: code, Number: number}
	case strings.HasPrefix(d, "#51*"):
		code := d[len("#51*"):]
		if !isCode(code, digits) {
			return Code{Op: Malformed}
		}
		return Code{Op: Clear, Code: code}
	case strings.HasPrefix(d, "**") && isCode(d[2:], digits):
		return Code{Op: Use, Code: d[2:]}
	}
	return Code{}
}

func isCode(s string, digits int) bool { return len(s) == digits && allDigits(s) }

func isNumber(s string) bool { return s != "" && len(s) <= maxNumber && allDigits(s) }

func allDigits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
