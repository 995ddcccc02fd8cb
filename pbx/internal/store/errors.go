package store

import "errors"

// Sentinel errors of package store.
var (
	// ErrClosed is returned by Batcher.Do after Close.
	ErrClosed = errors.New("store closed")
	// ErrSchema is returned by Migrate when the database holds a newer
	// schema version than the code knows.
	ErrSchema = errors.New("schema newer than this program")
	// ErrSecret is returned by Secret when the stored secret is unusable.
	ErrSecret = errors.New("stored secret unusable")
)
