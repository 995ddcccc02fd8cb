package hotline

import (
	"strconv"
	"strings"
	"time"

	"pbxlab/pbx/internal/services"
)

// code is the service's feature code (project default, the manual
// digest's table: *52*<num># / #52#).
const code = "52"

// Op is what a dialled number asks of the service.
type Op uint8

// Ops.
const (
	None      Op = iota // not the service's
	Set                 // *52*number# or *52*number*seconds#
	Clear               // #52#
	Malformed           // *52... or #52... that does not parse
)

// Code is a parsed dialled number.
type Code struct {
	Op     Op
	Number string        // the hotline number of a Set
	Delay  time.Duration // 0: immediate; else the delayed hotline's wait
}

// Bounds of a hotline number and of the delay set from the phone.
const (
	maxNumber = 32
	// MaxDelay bounds a delayed hotline's wait (from the phone and in
	// the configuration).
	MaxDelay = 60 * time.Second
)

// Parse reads the hotline codes: *52*number# sets the immediate hotline
// to number, *52*number*seconds# the delayed one (1 to 60 seconds), #52#
// clears it. The trailing "#" may arrive raw, escaped (%23) or stripped.
// A number starting with *52 or #52 that does not parse is Malformed;
// anything else is None.
func Parse(dialled string) Code {
	d := services.NormaliseCode(dialled)
	set, clear := "*"+code, "#"+code
	switch {
	case d == clear:
		return Code{Op: Clear}
	case strings.HasPrefix(d, set+"*"):
		num, secs, delayed := strings.Cut(d[len(set)+1:], "*")
		if !isNumber(num) {
			return Code{Op: Malformed}
		}
		if !delayed {
			return Code{Op: Set, Number: num}
		}
		n, err := strconv.Atoi(secs)
		if err != nil || secs != strconv.Itoa(n) || n < 1 || time.Duration(n)*time.Second > MaxDelay {
			return Code{Op: Malformed}
		}
		return Code{Op: Set, Number: num, Delay: time.Duration(n) * time.Second}
	case d == set, strings.HasPrefix(d, set+"#"), strings.HasPrefix(d, clear+"*"), strings.HasPrefix(d, clear+"#"):
		return Code{Op: Malformed}
	}
	return Code{}
}

func isNumber(s string) bool {
	return s != "" && len(s) <= maxNumber && strings.Trim(s, "0123456789") == ""
}
