package store

import "errors"

// Sentinel errors of package store.
var (
	// ErrClosed is returned by Batcher.Do and Batcher.Post after Close.
	ErrClosed = errors.New("store closed")
	// ErrSchema is returned by Migrate when the database holds a newer
	// schema version than the code knows.
	ErrSchema = errors.New("schema newer than this program")
	// ErrSecret is returned by Secret when the stored secret is unusable.
	ErrSecret = errors.New("stored secret unusable")
	// errOpFailed says that Batcher.runFast rolled back because an Op
	// failed (the batch then runs again with savepoints).
	errOpFailed = errors.New("an op of the batch failed")
)
