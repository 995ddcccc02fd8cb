package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
)

// secretsSchema holds named random secrets (the digest nonce key) that must
// outlive the process.
var secretsSchema = Schema{Name: "secrets", Steps: []string{
	`CREATE TABLE secrets (
		name  TEXT PRIMARY KEY,
		value BLOB NOT NULL
	) WITHOUT ROWID`,
}}

// Secret returns the secret called name, creating it from size random bytes
// (crypto/rand) the first time. It is kept in db, so every later call, in
// this process or after a restart on the same file, returns the same
// bytes; two processes that race to create it get the one that was
// committed first. A stored value shorter than size is an error wrapping
// ErrSecret. The value is never logged.
func Secret(ctx context.Context, db *sql.DB, name string, size int) ([]byte, error) {
	if err := Migrate(ctx, db, secretsSchema); err != nil {
		return nil, fmt.Errorf("secret %s: %w", name, err)
	}
	fresh := make([]byte, size)
	if _, err := rand.Read(fresh); err != nil {
		return nil, fmt.Errorf("secret %s: %w", name, err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO secrets(name, value) VALUES(?, ?) ON CONFLICT(name) DO NOTHING`, name, fresh); err != nil {
		return nil, fmt.Errorf("secret %s: %w", name, err)
	}
	var value []byte
	if err := db.QueryRowContext(ctx, `SELECT value FROM secrets WHERE name = ?`, name).Scan(&value); err != nil {
		return nil, fmt.Errorf("secret %s: %w", name, err)
	}
	if len(value) < size {
		return nil, fmt.Errorf("secret %s: %d bytes stored, want %d: %w", name, len(value), size, ErrSecret)
	}
	return value, nil
}
