// Package sqlstore keeps who is logged out of which hunt group
// (hunt.Store) in the PBX's SQLite database (pbx/internal/store), so that
// a member's login state survives a restart. A package of its own so that
// the configuration, which names the service's section, does not link
// SQLite.
package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"pbxlab/pbx/internal/store"
)

// schema is the table's history (store.Migrate): append-only.
func schema() store.Schema {
	return store.Schema{Name: "hunt", Steps: []string{`
CREATE TABLE hunt_logged_out (
	group_name TEXT NOT NULL,
	member     TEXT NOT NULL,
	PRIMARY KEY (group_name, member)
) WITHOUT ROWID`}}
}

// Store is hunt.Store in the PBX's SQLite database.
type Store struct{ db *sql.DB }

// New migrates the table and returns the store.
func New(ctx context.Context, db *sql.DB) (*Store, error) {
	if err := store.Migrate(ctx, db, schema()); err != nil {
		return nil, fmt.Errorf("hunt group logins: %w", err)
	}
	return &Store{db: db}, nil
}

// LoggedOut implements hunt.Store.
func (s *Store) LoggedOut(ctx context.Context, group string) (map[string]bool, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT member FROM hunt_logged_out WHERE group_name = ?`, group)
	if err != nil {
		return nil, fmt.Errorf("logged-out members of %s: %w", group, err)
	}
	defer func() { _ = rows.Close() }()
	out := map[string]bool{}
	for rows.Next() {
		var m string
		if err := rows.Scan(&m); err != nil {
			return nil, fmt.Errorf("logged-out members of %s: %w", group, err)
		}
		out[m] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("logged-out members of %s: %w", group, err)
	}
	return out, nil
}

// SetLoggedOut implements hunt.Store.
func (s *Store) SetLoggedOut(ctx context.Context, group, member string, out bool) error {
	q := `DELETE FROM hunt_logged_out WHERE group_name = ? AND member = ?`
	if out {
		q = `INSERT INTO hunt_logged_out(group_name, member) VALUES(?, ?) ON CONFLICT DO NOTHING`
	}
	if _, err := s.db.ExecContext(ctx, q, group, member); err != nil {
		return fmt.Errorf("log %s in/out of %s: %w", member, group, err)
	}
	return nil
}
