package scenario

import (
	"errors"
	"fmt"
)

// ErrInvalid is wrapped by every error about a scenario's content, so callers
// can tell a bad file from an I/O failure with errors.Is.
var ErrInvalid = errors.New("invalid scenario")

// Error is one problem in a scenario file, located by file, line and field.
type Error struct {
	File  string // path given to Load or Parse ("" if none)
	Line  int    // 1-based line; 0 when unknown
	Field string // dotted path of the field, e.g. "calls.rate" ("" if none)
	Msg   string
}

// Error renders "file:line: field: message".
func (e *Error) Error() string {
	loc := e.File
	if loc == "" {
		loc = "<scenario>"
	}
	if e.Line > 0 {
		loc = fmt.Sprintf("%s:%d", loc, e.Line)
	}
	if e.Field != "" {
		return fmt.Sprintf("%s: %s: %s", loc, e.Field, e.Msg)
	}
	return fmt.Sprintf("%s: %s", loc, e.Msg)
}

// Unwrap makes every *Error match ErrInvalid.
func (e *Error) Unwrap() error { return ErrInvalid }
