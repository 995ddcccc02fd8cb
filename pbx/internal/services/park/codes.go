package park

import (
	"strconv"
	"strings"

	"pbxlab/pbx/internal/services"
)

// Op is what a dialled number asks of call park.
type Op uint8

// Ops.
const (
	None      Op = iota // not the service's
	Park                // *6: the target of a blind transfer that parks the call
	Retrieve            // *6*<slot>#: take the call parked at slot
	Malformed           // *6*... that does not parse
)

var opNames = [...]string{"none", "park", "retrieve", "malformed"}

func (o Op) String() string {
	if int(o) < len(opNames) {
		return opNames[o]
	}
	return "op?"
}

// Code is a parsed dialled number.
type Code struct {
	Op   Op
	Slot int // Retrieve: the slot
}

// maxSlotDigits bounds the slot of a retrieval code.
const maxSlotDigits = 3

// Parse reads the call park codes (project default, the manual digest's
// table): "*6" parks (a transfer's target), "*6*<slot>#" retrieves. The
// trailing "#" may be raw, escaped (%23) or missing; "*" may arrive as
// %2A; "*6#" is "*6". A number starting with *6* that does not parse
// (letters, no slot, more than 3 digits, slot 0) is Malformed; anything
// else, *60 and *66# included, None.
func Parse(dialled string) Code {
	d := services.NormaliseCode(dialled)
	switch {
	case d == "*6":
		return Code{Op: Park}
	case strings.HasPrefix(d, "*6*"):
		n := d[len("*6*"):]
		if !services.Digits(n, maxSlotDigits) {
			return Code{Op: Malformed}
		}
		slot, err := strconv.Atoi(n)
		if err != nil || slot < 1 {
			return Code{Op: Malformed}
		}
		return Code{Op: Retrieve, Slot: slot}
	case strings.HasPrefix(d, "*6#"):
		return Code{Op: Malformed} // "*6#" followed by more
	}
	return Code{}
}

// Digits are the media IDs that speak slot, digit by digit (the
// announcement the parker hears).
func Digits(slot int, prefix string) []string {
	s := strconv.Itoa(slot)
	out := make([]string, len(s))
	for i := range s {
		out[i] = prefix + s[i:i+1]
	}
	return out
}
