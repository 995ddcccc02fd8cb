package services

import (
	"fmt"
)

// Problem is one thing wrong with a service's configuration: Field is
// the path inside the service's section ("classes[1].prefixes[0]"), which
// the configuration's validator prefixes with the section's own.
type Problem struct {
	Field string
	Msg   string
}

func (p Problem) Error() string { return p.Field + ": " + p.Msg }

// Problems collects the problems of a configuration check.
type Problems []Problem

// Add records a problem at field.
func (ps *Problems) Add(field, format string, args ...any) {
	*ps = append(*ps, Problem{Field: field, Msg: fmt.Sprintf(format, args...)})
}

// Number checks a number or number prefix: digits only, 1 to 32 of them.
func (ps *Problems) Number(field, n string) bool {
	if !Digits(n, 32) {
		ps.Add(field, "%q: want 1 to 32 digits", n)
		return false
	}
	return true
}

// Name checks a name: not empty, not taken (seen records it).
func (ps *Problems) Name(field, name string, seen map[string]bool) bool {
	switch {
	case name == "":
		ps.Add(field, "required")
		return false
	case seen[name]:
		ps.Add(field, "%q named twice", name)
		return false
	}
	seen[name] = true
	return true
}
