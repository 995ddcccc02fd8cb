// Package sqlstore keeps the forwards subscribers set from the phone
// (forward.Store) in the PBX's SQLite database (pbx/internal/store), so
// that they survive a restart. A package of its own so that the
// configuration does not link SQLite.
//
// The table is also held in memory (store.WriteThrough): the forward
// service asks for the called subscriber's forwards of each kind on every
// call.
package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"pbxlab/pbx/internal/services/forward"
	"pbxlab/pbx/internal/store"
)

// schema is the forwards' table history (store.Migrate): append-only.
func schema() store.Schema {
	return store.Schema{Name: "forward", Steps: []string{`
CREATE TABLE call_forwards (
	subscriber TEXT NOT NULL,
	kind       TEXT NOT NULL,
	number     TEXT NOT NULL,
	PRIMARY KEY (subscriber, kind)
) WITHOUT ROWID`}}
}

// Store is forward.Store in the PBX's SQLite database.
type Store struct {
	db      *sql.DB
	numbers *store.WriteThrough[key, string] // every row, by subscriber and kind
}

type key struct{ subscriber, kind string }

// New migrates the table, reads it and returns the store.
func New(ctx context.Context, db *sql.DB) (*Store, error) {
	if err := store.Migrate(ctx, db, schema()); err != nil {
		return nil, fmt.Errorf("call forwards: %w", err)
	}
	numbers, err := store.LoadWriteThrough(ctx, db, `SELECT subscriber, kind, number FROM call_forwards`,
		func(rows *sql.Rows) (k key, n string, err error) { return k, n, rows.Scan(&k.subscriber, &k.kind, &n) })
	if err != nil {
		return nil, fmt.Errorf("call forwards: %w", err)
	}
	return &Store{db: db, numbers: numbers}, nil
}

// Get implements forward.Store. It reads memory only and never fails.
func (s *Store) Get(_ context.Context, subscriber string, k forward.Kind) (string, bool, error) {
	n, ok := s.numbers.Get(key{subscriber, k.String()})
	return n, ok, nil
}

// Put implements forward.Store: the database first, then, if that
// succeeded, memory.
func (s *Store) Put(ctx context.Context, subscriber string, k forward.Kind, number string) error {
	return s.numbers.Put(key{subscriber, k.String()}, number, func() error {
		_, err := s.db.ExecContext(ctx, `INSERT INTO call_forwards(subscriber, kind, number) VALUES(?, ?, ?)
		ON CONFLICT(subscriber, kind) DO UPDATE SET number = excluded.number`, subscriber, k.String(), number)
		if err != nil {
			return fmt.Errorf("set forward %s of %s: %w", k, subscriber, err)
		}
		return nil
	})
}
