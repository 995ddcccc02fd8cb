// Package flagstore keeps per-subscriber on/off settings that subscribers
// set from the phone (do not disturb, call waiting) in the PBX's SQLite
// database, so that they survive a restart: one table per service, one
// row per subscriber who ever set it. The services' sqlstore packages name
// their table; a package of its own so that the configuration does not
// link SQLite.
//
// The table is also held in memory, read once by New and written through
// by Put: Get is on every call's path (the terminating services ask for
// each called subscriber's settings), and a SQLite query there, parsed
// again on every call, was ~13 % of pbxlab serve's CPU at 500 calls/s
// (perf, with the forwards' store). The PBX is the database's only
// writer while it runs.
package flagstore

import (
	"context"
	"database/sql"
	"fmt"
	"sync"

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

	// put serialises Puts, so memory ends as the database does; mu guards
	// on only, so a Get on a call's path never waits for a database write.
	put sync.Mutex
	mu  sync.RWMutex
	// on holds every row of the table; Put changes it after the row is
	// written, so a Get never sees a setting the database lacks.
	on map[string]bool
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
	s := &Store{db: db, what: sp.What, on: map[string]bool{},
		upsert: fmt.Sprintf(`INSERT INTO %[1]s(subscriber, %[2]s) VALUES(?, ?)
		ON CONFLICT(subscriber) DO UPDATE SET %[2]s = excluded.%[2]s`, sp.Table, sp.Column),
	}
	if err := s.load(ctx, fmt.Sprintf(`SELECT subscriber, %s FROM %s`, sp.Column, sp.Table)); err != nil {
		return nil, fmt.Errorf("%s: %w", sp.What, err)
	}
	return s, nil
}

// load reads every row of the table into memory.
func (s *Store) load(ctx context.Context, q string) error {
	rows, err := s.db.QueryContext(ctx, q)
	if err != nil {
		return fmt.Errorf("load: %w", err)
	}
	defer func() { _ = rows.Close() }()
	for rows.Next() {
		var sub string
		var on bool
		if err := rows.Scan(&sub, &on); err != nil {
			return fmt.Errorf("load: %w", err)
		}
		s.on[sub] = on
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("load: %w", err)
	}
	return nil
}

// Get returns subscriber's setting; ok is false when it never set one.
// It reads memory only and never fails.
func (s *Store) Get(_ context.Context, subscriber string) (on, ok bool, err error) {
	s.mu.RLock()
	on, ok = s.on[subscriber]
	s.mu.RUnlock()
	return on, ok, nil
}

// Put stores subscriber's setting: in the database first, then, if that
// succeeded, in memory.
func (s *Store) Put(ctx context.Context, subscriber string, on bool) error {
	s.put.Lock()
	defer s.put.Unlock()
	if _, err := s.db.ExecContext(ctx, s.upsert, subscriber, on); err != nil {
		return fmt.Errorf("set %s of %s: %w", s.what, subscriber, err)
	}
	s.mu.Lock()
	s.on[subscriber] = on
	s.mu.Unlock()
	return nil
}
