package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
)

const insertKV = "INSERT INTO kv(k, v) VALUES(?, ?)"

// TestStmtsInBatcher: prepared statements run inside a Batcher's shared
// transactions from many goroutines, a failing one is rolled back alone
// (the savepoint path), and a query not prepared runs from its text.
func TestStmtsInBatcher(t *testing.T) {
	checkNoLeak(t)
	ctx := testCtx(t)
	db := newTable(t, ctx)
	st, err := Prepare(ctx, db, insertKV, insertKV) // a repeat is prepared once
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if len(st.stmts) != 1 {
		t.Fatalf("prepared %d statements, want 1", len(st.stmts))
	}
	b := NewBatcher(db)
	const n = 200
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			errs[i] = b.Do(ctx, func(ctx context.Context, tx *sql.Tx) error {
				k := i
				if i == 7 {
					k = 6 // a duplicate key: this Op fails alone
				}
				_, err := st.Exec(ctx, tx, insertKV, k, fmt.Sprint("v", i))
				return err
			})
		})
	}
	wg.Wait()
	if err := b.Do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := st.Exec(ctx, tx, "UPDATE kv SET v = 'text' WHERE k = 0") // not prepared: from its text
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	failed := 0
	for _, err := range errs {
		if err != nil {
			failed++
		}
	}
	// whichever of 6 and 7 came second failed
	if failed != 1 || (errs[6] == nil) == (errs[7] == nil) {
		t.Fatalf("want exactly one of the Ops for key 6 to fail, got %d failures (6: %v, 7: %v)", failed, errs[6], errs[7])
	}
	if got := count(t, ctx, db); got != n-1 {
		t.Fatalf("rows %d, want %d", got, n-1)
	}
	var v string
	if err := db.QueryRowContext(ctx, "SELECT v FROM kv WHERE k = 0").Scan(&v); err != nil || v != "text" {
		t.Fatalf("row 0: %q, %v; want the text query's update", v, err)
	}
}

// TestStmtsNil: a nil Stmts runs every query from its text and closes.
func TestStmtsNil(t *testing.T) {
	checkNoLeak(t)
	ctx := testCtx(t)
	db := newTable(t, ctx)
	var st *Stmts
	b := NewBatcher(db)
	if err := b.Do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := st.Exec(ctx, tx, insertKV, 1, "a")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := errors.Join(b.Close(), st.Close()); err != nil {
		t.Fatal(err)
	}
	if got := count(t, ctx, db); got != 1 {
		t.Fatalf("rows %d, want 1", got)
	}
}

// TestPrepareBadQuery names the query that failed and leaves nothing open.
func TestPrepareBadQuery(t *testing.T) {
	checkNoLeak(t)
	ctx := testCtx(t)
	db := newTable(t, ctx)
	_, err := Prepare(ctx, db, insertKV, "INSERT INTO nosuch(k) VALUES(?)")
	if err == nil || !strings.Contains(err.Error(), "nosuch") {
		t.Fatalf("err %v, want one naming the bad query", err)
	}
	// the pool's one connection is free: a plain statement runs
	if _, err := db.ExecContext(ctx, insertKV, 1, "a"); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkUpsertPrepared compares an upsert run from a prepared statement
// with the same run from its text, one Op per Batcher commit.
func BenchmarkUpsertPrepared(b *testing.B) {
	const upsert = "INSERT INTO kv(k, v) VALUES(?, ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v"
	for _, prepared := range []bool{false, true} {
		b.Run(fmt.Sprintf("prepared=%v", prepared), func(b *testing.B) {
			ctx := context.Background()
			db, err := Open(ctx, "")
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			if _, err := db.ExecContext(ctx, "CREATE TABLE kv(k INTEGER PRIMARY KEY, v TEXT NOT NULL)"); err != nil {
				b.Fatal(err)
			}
			var st *Stmts
			if prepared {
				if st, err = Prepare(ctx, db, upsert); err != nil {
					b.Fatal(err)
				}
				defer st.Close()
			}
			bt := NewBatcher(db)
			defer bt.Close()
			i := 0
			for b.Loop() {
				i++
				if err := bt.Do(ctx, func(ctx context.Context, tx *sql.Tx) error {
					_, err := st.Exec(ctx, tx, upsert, i%1000, "value")
					return err
				}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
