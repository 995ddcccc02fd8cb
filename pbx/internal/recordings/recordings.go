// Package recordings keeps the list of recorded calls in SQLite: one row
// per WAV file the PBX wrote (the call's ID, as in the CDR, its parties,
// the file, when it started and ended, how many samples it holds). Rows are
// written when a recording ends, so a file whose row is missing was cut
// short by a crash (the WAV is still readable up to its last flush).
package recordings

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"pbxlab/pbx/internal/store"
)

// Record is one recorded call.
type Record struct {
	ID      int64     `json:"id"`
	CallID  string    `json:"call_id"`
	Caller  string    `json:"caller"`
	Callee  string    `json:"callee"`
	File    string    `json:"file"`
	Start   time.Time `json:"start"`
	End     time.Time `json:"end"`
	Samples int64     `json:"samples"` // 8 kHz mono samples in the file
}

// Store is the recordings table.
type Store struct {
	db *sql.DB
}

func schema() store.Schema {
	return store.Schema{Name: "recordings", Steps: []string{`
CREATE TABLE recordings (
	id       INTEGER PRIMARY KEY AUTOINCREMENT,
	call_id  TEXT    NOT NULL,
	caller   TEXT    NOT NULL,
	callee   TEXT    NOT NULL,
	file     TEXT    NOT NULL,
	start_ns INTEGER NOT NULL,
	end_ns   INTEGER NOT NULL,
	samples  INTEGER NOT NULL
);
CREATE INDEX recordings_call ON recordings(call_id);
`}}
}

// Open migrates the recordings table on db.
func Open(ctx context.Context, db *sql.DB) (*Store, error) {
	if err := store.Migrate(ctx, db, schema()); err != nil {
		return nil, fmt.Errorf("open recordings: %w", err)
	}
	return &Store{db: db}, nil
}

// Add inserts r and returns its id.
func (s *Store) Add(ctx context.Context, r Record) (int64, error) {
	res, err := s.db.ExecContext(ctx, `INSERT INTO recordings(call_id, caller, callee, file, start_ns, end_ns, samples) VALUES(?,?,?,?,?,?,?)`,
		r.CallID, r.Caller, r.Callee, r.File, r.Start.UnixNano(), r.End.UnixNano(), r.Samples)
	if err != nil {
		return 0, fmt.Errorf("add recording of %s: %w", r.CallID, err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, fmt.Errorf("add recording of %s: %w", r.CallID, err)
	}
	return id, nil
}

// List returns every recording, oldest first; callID, if not "", selects
// the recordings of one call.
func (s *Store) List(ctx context.Context, callID string) ([]Record, error) {
	q := `SELECT id, call_id, caller, callee, file, start_ns, end_ns, samples FROM recordings`
	var args []any
	if callID != "" {
		q += ` WHERE call_id = ?`
		args = append(args, callID)
	}
	rows, err := s.db.QueryContext(ctx, q+` ORDER BY start_ns, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("list recordings: %w", err)
	}
	defer rows.Close()
	var out []Record
	for rows.Next() {
		var r Record
		var start, end int64
		if err := rows.Scan(&r.ID, &r.CallID, &r.Caller, &r.Callee, &r.File, &start, &end, &r.Samples); err != nil {
			return nil, fmt.Errorf("list recordings: %w", err)
		}
		r.Start, r.End = time.Unix(0, start), time.Unix(0, end)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list recordings: %w", err)
	}
	return out, nil
}
