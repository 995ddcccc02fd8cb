package directory

import (
	"context"
	"database/sql"
	"fmt"

	"pbxlab/pbx/config"
	"pbxlab/pbx/internal/store"
)

// schema is the directory's table history (append-only).
func schema() store.Schema {
	return store.Schema{Name: "directory", Steps: []string{`
CREATE TABLE directory_subscribers (
	number       TEXT    PRIMARY KEY,
	state        TEXT    NOT NULL CHECK (state IN ('active', 'suspended', 'deleted')),
	defined      INTEGER NOT NULL,
	password     TEXT    NOT NULL,
	realm        TEXT    NOT NULL,
	display_name TEXT    NOT NULL,
	device       TEXT    NOT NULL
) WITHOUT ROWID;
`}}
}

// SQLStore is a Store on SQLite (the table directory_subscribers). Each
// change is its own transaction, committed before Put or Remove returns.
type SQLStore struct{ db *sql.DB }

// NewSQLStore migrates the directory schema in db (opened by store.Open).
// db stays the caller's.
func NewSQLStore(ctx context.Context, db *sql.DB) (*SQLStore, error) {
	if err := store.Migrate(ctx, db, schema()); err != nil {
		return nil, fmt.Errorf("open subscriber directory store: %w", err)
	}
	return &SQLStore{db: db}, nil
}

// Load implements Store.
func (s *SQLStore) Load(ctx context.Context) ([]Record, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT number, state, defined, password, realm, display_name, device
		FROM directory_subscribers ORDER BY number`)
	if err != nil {
		return nil, fmt.Errorf("load subscribers: %w", err)
	}
	defer func() { _ = rows.Close() }()
	var out []Record
	for rows.Next() {
		var r Record
		var state string
		if err := rows.Scan(&r.Number, &state, &r.Defined, &r.Sub.Password, &r.Sub.Realm, &r.Sub.DisplayName, &r.Sub.Device); err != nil {
			return nil, fmt.Errorf("load subscribers: %w", err)
		}
		r.State = State(state)
		if r.Defined {
			r.Sub.Number = r.Number
		} else {
			r.Sub = config.Subscriber{}
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load subscribers: %w", err)
	}
	return out, nil
}

// Put implements Store.
func (s *SQLStore) Put(ctx context.Context, r Record) error {
	sub := r.Sub
	if !r.Defined {
		sub = config.Subscriber{}
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO directory_subscribers(number, state, defined, password, realm, display_name, device)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT(number) DO UPDATE SET state = excluded.state, defined = excluded.defined, password = excluded.password,
		realm = excluded.realm, display_name = excluded.display_name, device = excluded.device`,
		r.Number, string(r.State), r.Defined, sub.Password, sub.Realm, sub.DisplayName, sub.Device)
	if err != nil {
		return fmt.Errorf("store subscriber %s: %w", r.Number, err)
	}
	return nil
}

// Remove implements Store.
func (s *SQLStore) Remove(ctx context.Context, number string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM directory_subscribers WHERE number = ?`, number); err != nil {
		return fmt.Errorf("remove subscriber %s: %w", number, err)
	}
	return nil
}
