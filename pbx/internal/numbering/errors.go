package numbering

import (
	"errors"
	"fmt"
)

var (
	// ErrVacant: no entry matches the number (404 Not Found).
	ErrVacant = errors.New("vacant number")
	// ErrIncomplete: an entry's prefix matches but the number is shorter
	// than its minimum length: more digits are needed (484 Address
	// Incomplete, RFC 3261 §21.4.22).
	ErrIncomplete = errors.New("address incomplete")
	// ErrBarred: the entry rejects the number (Entry.Cause).
	ErrBarred = errors.New("number rejected")
	// ErrPlan: the plan is inconsistent (caught when it is built).
	ErrPlan = errors.New("numbering plan")
)

// PlanError is an inconsistency of a plan's Config: Field names it the way
// the configuration file does ("entries[3].prefix", "tables[0].rules[2]").
// It is ErrPlan.
type PlanError struct {
	Field string
	Msg   string
}

func (e *PlanError) Error() string { return "numbering plan: " + e.Field + ": " + e.Msg }

// Unwrap makes a PlanError ErrPlan.
func (e *PlanError) Unwrap() error { return ErrPlan }

func planErr(field, format string, args ...any) error {
	return &PlanError{Field: field, Msg: fmt.Sprintf(format, args...)}
}
