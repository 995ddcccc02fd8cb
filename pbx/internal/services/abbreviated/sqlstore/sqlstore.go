// Package sqlstore keeps the personal abbreviated-dialling codes
// (abbreviated.Store) in the PBX's SQLite database (pbx/internal/store), so
// that they survive a restart. A package of its own so that the
// configuration, which names the service's section, does not link SQLite.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"pbxlab/pbx/internal/store"
)

// schema is the personal codes' table history (store.Migrate):
// append-only.
func schema() store.Schema {
	return store.Schema{Name: "abbreviated", Steps: []string{`
CREATE TABLE abbreviated_codes (
	subscriber TEXT NOT NULL,
	code       TEXT NOT NULL,
	number     TEXT NOT NULL,
	PRIMARY KEY (subscriber, code)
) WITHOUT ROWID`}}
}

// Store is abbreviated.Store in the PBX's SQLite database (pbx/internal/store):
// codes survive a restart.
type Store struct{ db *sql.DB }

// New migrates the table and returns the store.
func New(ctx context.Context, db *sql.DB) (*Store, error) {
	if err := store.Migrate(ctx, db, schema()); err != nil {
		return nil, fmt.Errorf("abbreviated codes: %w", err)
	}
	return &Store{db: db}, nil
}

// Get implements Store.
func (s *Store) Get(ctx context.Context, subscriber, code string) (string, bool, error) {
	var n string
	err := s.db.QueryRowContext(ctx, `SELECT number FROM abbreviated_codes WHERE subscriber = ? AND code = ?`, subscriber, code).Scan(&n)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return "", false, nil
	case err != nil:
		return "", false, fmt.Errorf("abbreviated code %s of %s: %w", code, subscriber, err)
	}
	return n, true, nil
}

// Put implements Store.
func (s *Store) Put(ctx context.Context, subscriber, code, number string) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO abbreviated_codes(subscriber, code, number) VALUES(?, ?, ?)
		ON CONFLICT(subscriber, code) DO UPDATE SET number = excluded.number`, subscriber, code, number)
	if err != nil {
		return fmt.Errorf("set abbreviated code %s of %s: %w", code, subscriber, err)
	}
	return nil
}

// Delete implements Store.
func (s *Store) Delete(ctx context.Context, subscriber, code string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM abbreviated_codes WHERE subscriber = ? AND code = ?`, subscriber, code); err != nil {
		return fmt.Errorf("clear abbreviated code %s of %s: %w", code, subscriber, err)
	}
	return nil
}
