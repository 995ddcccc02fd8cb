// Package store opens pbxlab's SQLite database (modernc.org/sqlite, pure Go)
// and provides the pieces its users share: a tiny per-component schema
// migration (Migrate), a group-commit writer (Batcher) and named random
// secrets that outlive the process (Secret).
//
// Durability: the database runs in WAL mode with synchronous=NORMAL. In that
// mode a COMMIT appends the transaction to the WAL file with write(2) before
// it returns, but does not fsync it. A committed transaction therefore
// survives the process being killed (kill -9, panic, OOM kill), because its
// bytes are already in the operating system's page cache; only an operating
// system crash or power loss can lose the last few commits. That is the
// guarantee pbxlab promises ("an acknowledged REGISTER or CDR survives a crash
// of the PBX"); synchronous=FULL would be needed to survive power loss too.
package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// DriverName is the database/sql driver name of modernc.org/sqlite.
const DriverName = "sqlite"

// busyTimeoutMS bounds how long a statement waits for a lock held by another
// connection or process before failing with SQLITE_BUSY.
const busyTimeoutMS = 5000

// Open opens (creating it if needed) the SQLite database at path and checks
// that it answers. path "" opens a private in-memory database, distinct from
// every other Open, that lives until the returned *sql.DB is closed.
//
// The pool is limited to one connection: SQLite has a single writer anyway,
// one connection never meets SQLITE_BUSY from itself, and an in-memory
// database needs its connection kept open. Readers are expected to be served
// from in-memory caches (registrar) or to be rare (CDR listing).
func Open(ctx context.Context, path string) (*sql.DB, error) {
	dsn, err := dsnFor(path)
	if err != nil {
		return nil, fmt.Errorf("open database %q: %w", path, err)
	}
	db, err := sql.Open(DriverName, dsn)
	if err != nil {
		return nil, fmt.Errorf("open database %q: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	if err := check(ctx, db, path == ""); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open database %q: %w", path, err)
	}
	return db, nil
}

func dsnFor(path string) (string, error) {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeoutMS))
	q.Add("_pragma", "foreign_keys(1)")
	q.Set("_txlock", "immediate")
	if path == "" {
		var b [12]byte
		if _, err := rand.Read(b[:]); err != nil {
			return "", fmt.Errorf("name in-memory database: %w", err)
		}
		q.Set("mode", "memory")
		q.Set("cache", "shared")
		return "file:pbxlab-mem-" + hex.EncodeToString(b[:]) + "?" + q.Encode(), nil
	}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	u := url.URL{Path: path}
	return "file:" + u.EscapedPath() + "?" + q.Encode(), nil
}

// check verifies that the pragmas took effect.
func check(ctx context.Context, db *sql.DB, memory bool) error {
	var mode string
	if err := db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return fmt.Errorf("read journal_mode: %w", err)
	}
	if !memory && mode != "wal" {
		return fmt.Errorf("journal_mode is %q, want wal", mode)
	}
	var fk int
	if err := db.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil {
		return fmt.Errorf("read foreign_keys: %w", err)
	}
	if fk != 1 {
		return fmt.Errorf("foreign_keys is %d, want 1", fk)
	}
	return nil
}
