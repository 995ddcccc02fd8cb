package store

import (
	"context"
	"database/sql"
	"fmt"
)

// Schema is one component's schema history. Steps[i] upgrades the
// component's tables from version i to i+1; steps are append-only: never edit
// a released step, add a new one.
//
// Versions are kept per component in the table schema_migrations rather than
// in PRAGMA user_version, because several components (registrar, cdr) share
// one database file and user_version is a single number per file.
type Schema struct {
	Name  string
	Steps []string
}

const migrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
	name    TEXT PRIMARY KEY,
	version INTEGER NOT NULL
) WITHOUT ROWID`

// Migrate brings s up to date in db, each step in its own transaction
// together with its version bump, so a crash mid-way resumes cleanly.
// It fails with ErrSchema if db holds a version newer than len(s.Steps).
func Migrate(ctx context.Context, db *sql.DB, s Schema) error {
	if _, err := db.ExecContext(ctx, migrationsTable); err != nil {
		return fmt.Errorf("migrate %s: %w", s.Name, err)
	}
	var have int
	err := db.QueryRowContext(ctx, `SELECT version FROM schema_migrations WHERE name = ?`, s.Name).Scan(&have)
	if err != nil && err != sql.ErrNoRows {
		return fmt.Errorf("migrate %s: %w", s.Name, err)
	}
	if have > len(s.Steps) {
		return fmt.Errorf("migrate %s: version %d > %d: %w", s.Name, have, len(s.Steps), ErrSchema)
	}
	for v := have; v < len(s.Steps); v++ {
		if err := step(ctx, db, s.Name, v+1, s.Steps[v]); err != nil {
			return fmt.Errorf("migrate %s to version %d: %w", s.Name, v+1, err)
		}
	}
	return nil
}

// step applies one migration step unless another opener of the same file
// applied it since Migrate read the version: the transaction takes the
// write lock at BEGIN (_txlock=immediate), so the version read inside it is
// current.
func step(ctx context.Context, db *sql.DB, name string, version int, stmt string) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	var have int
	err = tx.QueryRowContext(ctx, `SELECT version FROM schema_migrations WHERE name = ?`, name).Scan(&have)
	if err != nil && err != sql.ErrNoRows {
		return err
	}
	if have >= version {
		return nil
	}
	if _, err := tx.ExecContext(ctx, stmt); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations(name, version) VALUES(?, ?)
		ON CONFLICT(name) DO UPDATE SET version = excluded.version`, name, version); err != nil {
		return err
	}
	return tx.Commit()
}
