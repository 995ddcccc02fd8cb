package hunt

import (
	"strings"

	"pbxlab/pbx/internal/services"
)

// Op is what a dialled number asks of the service.
type Op uint8

// Ops.
const (
	None      Op = iota // not the service's
	Login               // *60*<group>#
	Logout              // #60*<group>#
	Malformed           // *60*... or #60*... that does not parse
)

var opNames = [...]string{"none", "login", "logout", "malformed"}

func (o Op) String() string { return opNames[o] }

// Code is a parsed dialled number.
type Code struct {
	Op    Op
	Group string // the group's number, or its name
}

// maxKey bounds the group part of a code.
const maxKey = 32

// Parse reads the service's feature codes (project default): *60*<group>#
// logs the caller in to the group, #60*<group># logs it out; <group> is the
// group's number (or its name when it has none). The trailing "#" may be
// raw, escaped (%23) or missing, "*" escaped as %2A. A number starting
// with *60* or #60* that does not parse is Malformed; anything else None.
func Parse(dialled string) Code {
	d := normalise(dialled)
	var op Op
	switch {
	case strings.HasPrefix(d, "*60*"):
		op = Login
	case strings.HasPrefix(d, "#60*"):
		op = Logout
	default:
		return Code{}
	}
	key := d[len("*60*"):]
	if key == "" || len(key) > maxKey || strings.ContainsAny(key, "*#%@;") {
		return Code{Op: Malformed}
	}
	return Code{Op: op, Group: key}
}

// normalise undoes the escaping of "#" and "*" in a Request-URI user part
// and drops one trailing "#".
func normalise(dialled string) string { return services.NormaliseCode(dialled) }
