package main

import (
	"errors"
	"fmt"
)

var (
	// ErrInvalid is wrapped by every error about the content of the mutant
	// list (each is an *Error naming file:line).
	ErrInvalid = errors.New("invalid mutant list")
	// ErrStale: a mutant's old text is not found exactly once in its file,
	// so the mutant no longer describes the code.
	ErrStale = errors.New("stale mutant")
	// ErrUnknownID: -only names a mutant the list does not have.
	ErrUnknownID = errors.New("unknown mutant id")
)

// Error is one problem in the mutant list, located by file and line.
type Error struct {
	File string
	Line int // 1-based; 0 when unknown
	Msg  string
}

// Error renders "file:line: message".
func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// Unwrap makes every *Error match ErrInvalid.
func (e *Error) Unwrap() error { return ErrInvalid }
