package numbering

import "errors"

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
