// Package flagstore keeps per-subscriber on/off settings that subscribers
// set from the phone (do not disturb, call waiting) in the PBX's SQLite
// database, so that they survive a restart: one table per service, one
// row per subscriber who ever set it. The services' sqlstore packages name
// their table; a package of its own so that the configuration does not
// link SQLite.
package flagstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"pbxlab/pbx/internal/store"
)

// Spec names a service's table: its migration (store.Schema's Name), the
// table and its boolean column, and how errors name the setting.
type Spec struct {
	Schema, Table, Column, What string
}

// Store is one service's settings.
type Store struct {
	db       *sql.DB
	what     string
	get, put string
}

// New migrates the service's table and returns its store.
func New(ctx context.Context, db *sql.DB, sp Spec) (*Store, error) {
	schema := store.Schema{Name: sp.Schema, Steps: []string{fmt.Sprintf(`
CREATE TABLE %s (
	subscriber TEXT NOT NULL PRIMARY KEY,
	%s     INTEGER NOT NULL
) WITHOUT ROWID`, sp.Table, sp.Column)}}
	if err := store.Migrate(ctx, db, schema); err != nil {
		return nil, fmt.Errorf("%s: %w", sp.What, err)
	}
	return &Store{db: db, what: sp.What,
		get: fmt.Sprintf(`SELECT %s FROM %s WHERE subscriber = ?`, sp.Column, sp.Table),
		put: fmt.Sprintf(`INSERT INTO %[1]s(subscriber, %[2]s) VALUES(?, ?)
		ON CONFLICT(subscriber) DO UPDATE SET %[2]s = excluded.%[2]s`, sp.Table, sp.Column),
	}, nil
}

// Get returns subscriber's setting; ok is false when it never set one.
func (s *Store) Get(ctx context.Context, subscriber string) (on, ok bool, err error) {
	err = s.db.QueryRowContext(ctx, s.get, subscriber).Scan(&on)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return false, false, nil
	case err != nil:
		return false, false, fmt.Errorf("%s of %s: %w", s.what, subscriber, err)
	}
	return on, true, nil
}

// Put stores subscriber's setting.
func (s *Store) Put(ctx context.Context, subscriber string, on bool) error {
	if _, err := s.db.ExecContext(ctx, s.put, subscriber, on); err != nil {
		return fmt.Errorf("set %s of %s: %w", s.what, subscriber, err)
	}
	return nil
}
