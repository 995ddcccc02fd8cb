package wakeup

import "context"

// Store keeps the alarms set from the phones (sqlstore: the PBX's SQLite
// database, so that they survive a restart).
type Store interface {
	// Put sets subscriber's alarm to hhmm (replacing any).
	Put(ctx context.Context, subscriber, hhmm string) error
	// Delete clears subscriber's alarm (none is no error).
	Delete(ctx context.Context, subscriber string) error
	// All returns every alarm: subscriber -> hhmm.
	All(ctx context.Context) (map[string]string, error)
}
