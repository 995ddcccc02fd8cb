// Package sqlstore keeps the hotlines subscribers set from the phone
// (hotline.Store) in the PBX's SQLite database (pbx/internal/store), so
// that they survive a restart. A package of its own so that the
// configuration does not link SQLite.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"pbxlab/pbx/internal/services/hotline"
	"pbxlab/pbx/internal/store"
)

// schema is the hotlines' table history (store.Migrate): append-only.
func schema() store.Schema {
	return store.Schema{Name: "hotline", Steps: []string{`
CREATE TABLE hotlines (
	subscriber TEXT NOT NULL PRIMARY KEY,
	number     TEXT NOT NULL,
	delay_ms   INTEGER NOT NULL
) WITHOUT ROWID`}}
}

// Store is hotline.Store in the PBX's SQLite database.
type Store struct{ db *sql.DB }

// New migrates the table and returns the store.
func New(ctx context.Context, db *sql.DB) (*Store, error) {
	if err := store.Migrate(ctx, db, schema()); err != nil {
		return nil, fmt.Errorf("hotlines: %w", err)
	}
	return &Store{db: db}, nil
}

// Get implements hotline.Store.
func (s *Store) Get(ctx context.Context, subscriber string) (hotline.Setting, bool, error) {
	var (
		n  string
		ms int64
	)
	err := s.db.QueryRowContext(ctx, `SELECT number, delay_ms FROM hotlines WHERE subscriber = ?`, subscriber).Scan(&n, &ms)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return hotline.Setting{}, false, nil
	case err != nil:
		return hotline.Setting{}, false, fmt.Errorf("hotline of %s: %w", subscriber, err)
	}
	return hotline.Setting{Number: n, Delay: time.Duration(ms) * time.Millisecond}, true, nil
}

// Put implements hotline.Store.
func (s *Store) Put(ctx context.Context, subscriber string, st hotline.Setting) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO hotlines(subscriber, number, delay_ms) VALUES(?, ?, ?)
		ON CONFLICT(subscriber) DO UPDATE SET number = excluded.number, delay_ms = excluded.delay_ms`,
		subscriber, st.Number, st.Delay.Milliseconds())
	if err != nil {
		return fmt.Errorf("set hotline of %s: %w", subscriber, err)
	}
	return nil
}
