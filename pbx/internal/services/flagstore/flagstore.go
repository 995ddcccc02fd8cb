// Package flagstore keeps per-subscriber on/off settings that subscribers
// set from the phone (do not disturb, call waiting) in the PBX's SQLite
// database, so that they survive a restart: one table per service, one
// row per subscriber who ever set it. The services' sqlstore packages name
// their table; a package of its own so that the configuration does not
// link SQLite.
//
// The table is also held in memory (store.WriteThrough): Get is on every
// call's path, the terminating services asking for each called
// subscriber's settings.
package flagstore

import (
	"context"
	"database/sql"
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
	db     *sql.DB
	what   string
	upsert string
	on     *store.WriteThrough[string, bool] // every row of the table
}

// New migrates the service's table, reads it and returns its store.
func New(ctx context.Context, db *sql.DB, sp Spec) (*Store, error) {
	schema := store.Schema{Name: sp.Schema, Steps: []string{fmt.Sprintf(`
CREATE TABLE %s (
	subscriber TEXT NOT NULL PRIMARY KEY,
	%s     INTEGER NOT NULL
) WITHOUT ROWID`, sp.Table, sp.Column)}}
	if err := store.Migrate(ctx, db, schema); err != nil {
		return nil, fmt.Errorf("%s: %w", sp.What, err)
	}
	on, err := store.LoadWriteThrough(ctx, db, fmt.Sprintf(`SELECT subscriber, %s FROM %s`, sp.Column, sp.Table),
		func(rows *sql.Rows) (sub string, on bool, err error) { return sub, on, rows.Scan(&sub, &on) })
	if err != nil {
		return nil, fmt.Errorf("%s: %w", sp.What, err)
	}
	return &Store{db: db, what: sp.What, on: on,
		upsert: fmt.Sprintf(`INSERT INTO %[1]s(subscriber, %[2]s) VALUES(?, ?)
		ON CONFLICT(subscriber) DO UPDATE SET %[2]s = excluded.%[2]s`, sp.Table, sp.Column),
	}, nil
}

// Get returns subscriber's setting; ok is false when it never set one.
// It reads memory only and never fails.
func (s *Store) Get(_ context.Context, subscriber string) (on, ok bool, err error) {
	on, ok = s.on.Get(subscriber)
	return on, ok, nil
}

// Put stores subscriber's setting: in the database first, then, if that
// succeeded, in memory.
func (s *Store) Put(ctx context.Context, subscriber string, on bool) error {
	return s.on.Put(subscriber, on, func() error {
		if _, err := s.db.ExecContext(ctx, s.upsert, subscriber, on); err != nil {
			return fmt.Errorf("set %s of %s: %w", s.what, subscriber, err)
		}
		return nil
	})
}
