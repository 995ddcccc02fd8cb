package cdr

import "errors"

// ErrUnknownFormat means Format was asked for a format it does not know.
var (
	ErrUnknownFormat = errors.New("unknown format (want table, csv or json)")
	// ErrReadOnly means a write on a store opened with ReadOnly.
	ErrReadOnly = errors.New("cdr store is read-only")
	// ErrNoRecord means Finish named a record that does not exist.
	ErrNoRecord = errors.New("no such cdr record")
)
