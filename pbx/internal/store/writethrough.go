package store

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
)

// WriteThrough is a table held in memory in front of the database: read
// once by LoadWriteThrough, written through by Put (the database first,
// memory only once that succeeded). Get never touches the database, for
// tables read on every call's path (the services' per-subscriber
// settings: a SQLite query per call there, parsed again each time, was
// ~13 % of pbxlab serve's CPU at 500 calls/s). The PBX must be the
// database's only writer of the table while it runs.
type WriteThrough[K comparable, V any] struct {
	// put serialises Puts, so memory ends as the database does; mu guards
	// m only, so a Get never waits for a database write.
	put sync.Mutex
	mu  sync.RWMutex
	m   map[K]V
}

// LoadWriteThrough runs query on db and keeps every row, read by scan.
func LoadWriteThrough[K comparable, V any](ctx context.Context, db *sql.DB, query string,
	scan func(*sql.Rows) (K, V, error)) (*WriteThrough[K, V], error) {
	rows, err := db.QueryContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	defer func() { _ = rows.Close() }()
	w := &WriteThrough[K, V]{m: map[K]V{}}
	for rows.Next() {
		k, v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("load: %w", err)
		}
		w.m[k] = v
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	return w, nil
}

// Get returns k's value; ok is false when the table has no row for k.
func (w *WriteThrough[K, V]) Get(k K) (v V, ok bool) {
	w.mu.RLock()
	v, ok = w.m[k]
	w.mu.RUnlock()
	return v, ok
}

// Put runs write (the row's write to the database) and, if it succeeded,
// sets k to v in memory. Puts run one at a time.
func (w *WriteThrough[K, V]) Put(k K, v V, write func() error) error {
	w.put.Lock()
	defer w.put.Unlock()
	if err := write(); err != nil {
		return err
	}
	w.mu.Lock()
	w.m[k] = v
	w.mu.Unlock()
	return nil
}
