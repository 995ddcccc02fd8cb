// Package sqlstore keeps the forwards subscribers set from the phone
// (forward.Store) in the PBX's SQLite database (pbx/internal/store), so
// that they survive a restart. A package of its own so that the
// configuration does not link SQLite.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
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
type Store struct{ db *sql.DB }

// New migrates the table and returns the store.
func New(ctx context.Context, db *sql.DB) (*Store, error) {
	if err := store.Migrate(ctx, db, schema()); err != nil {
		return nil, fmt.Errorf("call forwards: %w", err)
	}
	return &Store{db: db}, nil
}

// Get implements forward.Store.
func (s *Store) Get(ctx context.Context, subscriber string, k forward.Kind) (string, bool, error) {
	var n string
	err := s.db.QueryRowContext(ctx, `SELECT number FROM call_forwards WHERE subscriber = ? AND kind = ?`, subscriber, k.String()).Scan(&n)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return "", false, nil
	case err != nil:
		return "", false, fmt.Errorf("forward %s of %s: %w", k, subscriber, err)
	}
	return n, true, nil
}

// Put implements forward.Store.
func (s *Store) Put(ctx context.Context, subscriber string, k forward.Kind, number string) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO call_forwards(subscriber, kind, number) VALUES(?, ?, ?)
		ON CONFLICT(subscriber, kind) DO UPDATE SET number = excluded.number`, subscriber, k.String(), number)
	if err != nil {
		return fmt.Errorf("set forward %s of %s: %w", k, subscriber, err)
	}
	return nil
}
