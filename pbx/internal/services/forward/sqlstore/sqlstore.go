// Package sqlstore keeps the forwards subscribers set from the phone
// (forward.Store) in the PBX's SQLite database (pbx/internal/store), so
// that they survive a restart. A package of its own so that the
// configuration does not link SQLite.
//
// The table is also held in memory, read once by New and written through
// by Put: the forward service asks for the called subscriber's forwards of
// each kind on every call, and those queries, each parsed again by SQLite,
// were most of the ~13 % of pbxlab serve's CPU that settings lookups took
// at 500 calls/s (perf). The PBX is the database's only writer while it
// runs.
package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"sync"

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
	db *sql.DB

	// put serialises Puts, so memory ends as the database does; mu guards
	// numbers only, so a Get on a call's path never waits for a database
	// write.
	put sync.Mutex
	mu  sync.RWMutex
	// numbers holds every row by subscriber and kind; Put changes it after
	// the row is written.
	numbers map[key]string
}

type key struct{ subscriber, kind string }

// New migrates the table, reads it and returns the store.
func New(ctx context.Context, db *sql.DB) (*Store, error) {
	if err := store.Migrate(ctx, db, schema()); err != nil {
		return nil, fmt.Errorf("call forwards: %w", err)
	}
	s := &Store{db: db, numbers: map[key]string{}}
	if err := s.load(ctx); err != nil {
		return nil, fmt.Errorf("call forwards: load: %w", err)
	}
	return s, nil
}

func (s *Store) load(ctx context.Context) error {
	rows, err := s.db.QueryContext(ctx, `SELECT subscriber, kind, number FROM call_forwards`)
	if err != nil {
		return err
	}
	defer func() { _ = rows.Close() }()
	for rows.Next() {
		var k key
		var n string
		if err := rows.Scan(&k.subscriber, &k.kind, &n); err != nil {
			return err
		}
		s.numbers[k] = n
	}
	return rows.Err()
}

// Get implements forward.Store. It reads memory only and never fails.
func (s *Store) Get(_ context.Context, subscriber string, k forward.Kind) (string, bool, error) {
	s.mu.RLock()
	n, ok := s.numbers[key{subscriber, k.String()}]
	s.mu.RUnlock()
	return n, ok, nil
}

// Put implements forward.Store: the database first, then, if that
// succeeded, memory.
func (s *Store) Put(ctx context.Context, subscriber string, k forward.Kind, number string) error {
	s.put.Lock()
	defer s.put.Unlock()
	_, err := s.db.ExecContext(ctx, `INSERT INTO call_forwards(subscriber, kind, number) VALUES(?, ?, ?)
		ON CONFLICT(subscriber, kind) DO UPDATE SET number = excluded.number`, subscriber, k.String(), number)
	if err != nil {
		return fmt.Errorf("set forward %s of %s: %w", k, subscriber, err)
	}
	s.mu.Lock()
	s.numbers[key{subscriber, k.String()}] = number
	s.mu.Unlock()
	return nil
}
