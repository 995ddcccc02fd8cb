package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Stmts holds statements prepared once on a database, to be run inside a
// Batcher's transactions. The SQLite driver parses and plans a statement
// each time one runs from its text (no statement cache); for the writes on
// the REGISTER and call paths (one upsert per REGISTER, three CDR writes
// per call) that parse was a tenth of the server's CPU.
//
// A Stmts is prepared while the pool's one connection is free (Prepare,
// before the Batcher starts); a Batcher's Op then runs a statement through
// Tx.StmtContext, which reuses the statement prepared on that connection.
// It is safe for concurrent use; its map is read-only after Prepare.
type Stmts struct {
	stmts map[string]*sql.Stmt
}

// Prepare prepares queries on db. It must not run inside a transaction of
// db (the pool has a single connection).
func Prepare(ctx context.Context, db *sql.DB, queries ...string) (*Stmts, error) {
	s := &Stmts{stmts: make(map[string]*sql.Stmt, len(queries))}
	for _, q := range queries {
		if _, ok := s.stmts[q]; ok {
			continue
		}
		st, err := db.PrepareContext(ctx, q)
		if err != nil {
			_ = s.Close()
			return nil, fmt.Errorf("prepare %.40q: %w", q, err)
		}
		s.stmts[q] = st
	}
	return s, nil
}

// Exec runs query in tx: the prepared statement when query is one of
// those given to Prepare, else query's text (a nil Stmts runs every query
// from its text).
func (s *Stmts) Exec(ctx context.Context, tx *sql.Tx, query string, args ...any) (sql.Result, error) {
	if s != nil {
		if st, ok := s.stmts[query]; ok {
			return tx.StmtContext(ctx, st).ExecContext(ctx, args...)
		}
	}
	return tx.ExecContext(ctx, query, args...)
}

// Close closes the prepared statements.
func (s *Stmts) Close() error {
	if s == nil {
		return nil
	}
	var errs []error
	for _, st := range s.stmts {
		errs = append(errs, st.Close())
	}
	return errors.Join(errs...)
}
