package config

import (
	"fmt"
	"strconv"
	"strings"
)

// Bounds of a conference room.
const (
	// DefaultMaxParties is a room's seat count when max_parties is not set.
	DefaultMaxParties = 32
	// MaxConferenceParties is the largest max_parties accepted.
	MaxConferenceParties = 256
	// maxPINDigits bounds a room's PIN.
	maxPINDigits = 16
)

// Conference is one room of the conference bridge (YAML "conferences"):
// dialling its number joins it.
type Conference struct {
	// Number is dialled to join the room: digits only (1 to 32), unique
	// among rooms and not a subscriber's number. Required.
	Number string `yaml:"number"`
	// MaxParties is how many parties the room seats, 2 to 256; one more
	// gets 486 Busy Here. Default 32.
	MaxParties int `yaml:"max_parties"`
	// PIN, when set, must be keyed (RFC 4733 DTMF, ended by # or after its
	// length) before the caller joins: 1 to 16 digits. Default "" (none).
	PIN string `yaml:"pin"`
}

// applyDefaults sets the defaults of a conferences list entry.
func (c *Conference) applyDefaults() { c.MaxParties = DefaultMaxParties }

// Recording is the "recording" section: call recording to WAV files.
type Recording struct {
	// Dir is the folder the WAV files of recorded calls are written to
	// (created if missing). Required when a subscriber has record: true.
	// Default "" (no recording).
	Dir string `yaml:"dir"`
}

// Conference returns the room dialled by number.
func (c *Config) Conference(number string) (Conference, bool) {
	for _, r := range c.Conferences {
		if r.Number == number {
			return r, true
		}
	}
	return Conference{}, false
}

func (v *validator) conferences() {
	c := v.c
	seen := map[string]int{}
	for i, r := range c.Conferences {
		p := fmt.Sprintf("conferences[%d]", i)
		switch {
		case r.Number == "":
			v.errorf(p+".number", "number is required")
		case !isDigits(r.Number):
			v.errorf(p+".number", "number %q must be digits only", r.Number)
		case len(r.Number) > maxNumberDigits:
			v.errorf(p+".number", "number %q is longer than %d digits", r.Number, maxNumberDigits)
		case c.isSubscriber(r.Number):
			v.errorf(p+".number", "number %q is also a subscriber", r.Number)
		default:
			if j, dup := seen[r.Number]; dup {
				v.errorf(p+".number", "duplicate conference number %q (also conferences[%d])", r.Number, j)
			}
			seen[r.Number] = i
		}
		if r.MaxParties < 2 || r.MaxParties > MaxConferenceParties {
			v.errorf(p+".max_parties", "must be between 2 and %d, got %d", MaxConferenceParties, r.MaxParties)
		}
		if r.PIN != "" && (!isDigits(r.PIN) || len(r.PIN) > maxPINDigits) {
			v.errorf(p+".pin", "must be 1 to %d digits", maxPINDigits)
		}
	}
}

// isSubscriber reports whether number is an explicit subscriber's or in a
// subscriber range (without expanding the ranges).
func (c *Config) isSubscriber(number string) bool {
	for _, s := range c.ExplicitSubscribers {
		if s.Number == number {
			return true
		}
	}
	n, err := strconv.ParseUint(number, 10, 64)
	if err != nil {
		return false
	}
	for _, r := range c.SubscriberRanges {
		if lo, hi, ok := rangeBounds(r); ok && len(r.From) == len(number) && lo <= n && n <= hi {
			return true
		}
	}
	return false
}

func (v *validator) recording() {
	c := v.c
	if strings.ContainsRune(c.Recording.Dir, 0) {
		v.errorf("recording.dir", "may not contain a NUL byte")
	}
	if c.Recording.Dir != "" {
		return
	}
	for i, s := range c.ExplicitSubscribers {
		if s.Record {
			v.errorf(fmt.Sprintf("subscribers[%d].record", i), "recording.dir is required to record calls of %s", s.Number)
		}
	}
}
