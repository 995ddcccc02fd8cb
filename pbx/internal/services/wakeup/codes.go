package wakeup

import (
	"fmt"
	"strings"

	"pbxlab/pbx/internal/services"
)

// Op is what a dialled number asks of the service.
type Op uint8

// Ops.
const (
	None      Op = iota // not a wake-up code
	Set                 // *55*hhmm#
	Cancel              // #55#
	Malformed           // *55…, #55… otherwise: refused (484)
)

// Parse reads *55*hhmm# (set, at is "hhmm") and #55# (cancel), the "#"
// raw, escaped or stripped. *55*2561# and *55*123# are Malformed.
func Parse(dialled string) (op Op, at string) {
	d := services.NormaliseCode(dialled)
	switch {
	case d == "#55":
		return Cancel, ""
	case strings.HasPrefix(d, "*55*"):
		hhmm := d[len("*55*"):]
		if _, err := ParseTime(hhmm); err != nil {
			return Malformed, ""
		}
		return Set, hhmm
	case d == "*55", strings.HasPrefix(d, "#55*"), strings.HasPrefix(d, "#55#"), strings.HasPrefix(d, "*55#"):
		return Malformed, ""
	}
	return None, ""
}

// Clock is a time of day.
type Clock struct{ Hour, Minute int }

func (c Clock) String() string { return fmt.Sprintf("%02d%02d", c.Hour, c.Minute) }

// ParseTime reads hhmm: four digits, 00:00 to 23:59.
func ParseTime(hhmm string) (Clock, error) {
	if len(hhmm) != 4 || strings.Trim(hhmm, "0123456789") != "" {
		return Clock{}, fmt.Errorf("%q: %w", hhmm, ErrBadTime)
	}
	c := Clock{Hour: int(hhmm[0]-'0')*10 + int(hhmm[1]-'0'), Minute: int(hhmm[2]-'0')*10 + int(hhmm[3]-'0')}
	if c.Hour > 23 || c.Minute > 59 {
		return Clock{}, fmt.Errorf("%q: %w", hhmm, ErrBadTime)
	}
	return c, nil
}
