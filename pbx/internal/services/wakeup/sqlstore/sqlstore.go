// Package sqlstore keeps the wake-up alarms (wakeup.Store) in the PBX's
// SQLite database, so that they survive a restart. A package of its own so
// that the configuration does not link SQLite.
package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"pbxlab/pbx/internal/store"
)

// Store is wakeup.Store in SQLite.
type Store struct{ db *sql.DB }

var schema = store.Schema{Name: "wakeup", Steps: []string{`
CREATE TABLE wakeup (
	subscriber TEXT NOT NULL PRIMARY KEY,
	at         TEXT NOT NULL
) WITHOUT ROWID`}}

// New migrates the alarms' table and returns the store.
func New(ctx context.Context, db *sql.DB) (*Store, error) {
	if err := store.Migrate(ctx, db, schema); err != nil {
		return nil, fmt.Errorf("wake-up store: %w", err)
	}
	return &Store{db: db}, nil
}

// Put implements wakeup.Store.
func (s *Store) Put(ctx context.Context, subscriber, hhmm string) error {
	if _, err := s.db.ExecContext(ctx, `INSERT INTO wakeup(subscriber, at) VALUES(?, ?)
		ON CONFLICT(subscriber) DO UPDATE SET at = excluded.at`, subscriber, hhmm); err != nil {
		return fmt.Errorf("set wake-up of %s: %w", subscriber, err)
	}
	return nil
}

// Delete implements wakeup.Store.
func (s *Store) Delete(ctx context.Context, subscriber string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM wakeup WHERE subscriber = ?`, subscriber); err != nil {
		return fmt.Errorf("clear wake-up of %s: %w", subscriber, err)
	}
	return nil
}

// All implements wakeup.Store.
func (s *Store) All(ctx context.Context) (map[string]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT subscriber, at FROM wakeup`)
	if err != nil {
		return nil, fmt.Errorf("wake-up alarms: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var sub, at string
		if err := rows.Scan(&sub, &at); err != nil {
			return nil, fmt.Errorf("wake-up alarms: %w", err)
		}
		out[sub] = at
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("wake-up alarms: %w", err)
	}
	return out, nil
}
