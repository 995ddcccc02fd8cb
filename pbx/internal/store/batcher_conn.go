package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
)

// Tx is a group commit's transaction as an Op sees it. Its statements run
// on the pool's one connection at the driver's level: each is prepared the
// first time it runs and kept for the Batcher's life, and BEGIN and COMMIT
// are prepared statements too.
//
// Through database/sql, every group commit parsed "begin" and "commit"
// from their text (modernc.org/sqlite prepares a transaction's BEGIN and
// COMMIT afresh each time), and every Op's statement was rebound to the
// transaction (Tx.StmtContext) and run through database/sql's locking and
// argument conversion: at 500 calls/s the SQLite writers were a fifth of
// the PBX's CPU, half of it outside SQLite's own work.
type Tx struct {
	w *writerConn
}

// Exec runs query with args in the transaction.
func (t Tx) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	r, err := t.w.exec(ctx, query, args)
	if err != nil {
		return nil, err
	}
	return r, nil
}

// maxStatements bounds the statements a Batcher keeps prepared; a query
// beyond them is prepared, run and finalised each time (Ops run a fixed
// set of queries, so this is a guard, not a cache policy).
const maxStatements = 64

// writerConn is the Batcher's view of the pool's one connection: the
// driver connection database/sql lends it (sql.Conn.Raw) for each group
// commit, and the statements prepared on it. Only the writer goroutine
// uses it. The statements stay with their driver connection between
// commits (database/sql keeps the pool's one connection open: Open sets no
// lifetime), and are dropped if a commit is lent another one.
type writerConn struct {
	dc    any // the driver connection the statements belong to
	stmts map[string]driver.Stmt
	args  []driver.NamedValue // reused: the driver copies what it binds
}

// lend makes dc the connection of the statements, dropping those of a
// connection database/sql discarded (it closed them with it).
func (w *writerConn) lend(dc any) {
	if w.dc != dc {
		w.dc, w.stmts = dc, map[string]driver.Stmt{}
	}
}

func (w *writerConn) stmt(ctx context.Context, query string) (driver.Stmt, bool, error) {
	if st, ok := w.stmts[query]; ok {
		return st, true, nil
	}
	pc, ok := w.dc.(driver.ConnPrepareContext)
	if !ok {
		return nil, false, fmt.Errorf("prepare %.40q: driver %T has no PrepareContext", query, w.dc)
	}
	st, err := pc.PrepareContext(ctx, query)
	if err != nil {
		return nil, false, fmt.Errorf("prepare %.40q: %w", query, err)
	}
	if len(w.stmts) >= maxStatements {
		return st, false, nil
	}
	w.stmts[query] = st
	return st, true, nil
}

func (w *writerConn) exec(ctx context.Context, query string, args []any) (driver.Result, error) {
	st, kept, err := w.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if !kept {
		defer st.Close()
	}
	ex, ok := st.(driver.StmtExecContext)
	if !ok {
		return nil, fmt.Errorf("exec %.40q: driver statement %T has no ExecContext", query, st)
	}
	nv := w.args[:0]
	for i, a := range args {
		v, err := driver.DefaultParameterConverter.ConvertValue(a)
		if err != nil {
			return nil, fmt.Errorf("exec %.40q: argument %d: %w", query, i+1, err)
		}
		nv = append(nv, driver.NamedValue{Ordinal: i + 1, Value: v})
	}
	w.args = nv
	r, err := ex.ExecContext(ctx, nv)
	clear(nv) // no string or []byte argument outlives the statement
	return r, err
}

// begin, commit and rollback run the transaction's control statements.
// BEGIN IMMEDIATE takes the write lock at once, as the DSN's _txlock did
// for database/sql's transactions: another process reading the file
// (a CDR export) cannot make a commit fail half-way.
func (w *writerConn) begin(ctx context.Context) error {
	if _, err := w.exec(ctx, "BEGIN IMMEDIATE", nil); err != nil {
		return fmt.Errorf("begin group commit: %w", err)
	}
	return nil
}

func (w *writerConn) commit(ctx context.Context) error {
	if _, err := w.exec(ctx, "COMMIT", nil); err != nil {
		// a COMMIT that failed (SQLITE_BUSY, say) may leave the
		// transaction open: end it, so that the next BEGIN starts afresh
		w.rollback(ctx)
		return fmt.Errorf("commit group: %w", err)
	}
	return nil
}

// rollback ends the transaction if one is open; "no transaction is
// active" is the expected error otherwise.
func (w *writerConn) rollback(ctx context.Context) { _, _ = w.exec(ctx, "ROLLBACK", nil) }

// close finalises the statements.
func (w *writerConn) close() error {
	var errs []error
	for _, st := range w.stmts {
		errs = append(errs, st.Close())
	}
	w.stmts = map[string]driver.Stmt{}
	return errors.Join(errs...)
}

// withConn runs f with the pool's one connection lent to w. An error of f
// that database/sql must see to discard the connection (driver.ErrBadConn)
// is passed on to it; f's error is returned either way.
func (b *Batcher) withConn(ctx context.Context, f func() error) error {
	conn, err := b.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("group commit connection: %w", err)
	}
	defer conn.Close()
	var ferr error
	err = conn.Raw(func(dc any) error {
		b.w.lend(dc)
		ferr = f()
		if errors.Is(ferr, driver.ErrBadConn) {
			return ferr
		}
		return nil
	})
	if ferr != nil {
		return ferr
	}
	return err
}

type prepRequest struct {
	ctx     context.Context
	queries []string
	result  chan error
}

// Prepare prepares queries on the writer's connection, so that a query
// that cannot be prepared fails here (at start-up) rather than on its
// first write; the error names the query. It is not a write: no
// transaction, and Stats do not count it.
func (b *Batcher) Prepare(ctx context.Context, queries ...string) error {
	r := prepRequest{ctx: ctx, queries: queries, result: make(chan error, 1)}
	b.mu.RLock()
	if b.closed {
		b.mu.RUnlock()
		return ErrClosed
	}
	select {
	case b.prep <- r:
		b.mu.RUnlock()
	case <-ctx.Done():
		b.mu.RUnlock()
		return ctx.Err()
	}
	return <-r.result
}

func (w *writerConn) prepare(ctx context.Context, queries []string) error {
	for _, q := range queries {
		st, kept, err := w.stmt(ctx, q)
		if err != nil {
			return err
		}
		if !kept {
			_ = st.Close()
		}
	}
	return nil
}
