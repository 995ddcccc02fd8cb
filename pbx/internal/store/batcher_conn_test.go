package store

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
)

const insertKV = "INSERT INTO kv(k, v) VALUES(?, ?)"

// TestTxStatementsShared: Ops of many goroutines run one prepared
// statement inside the Batcher's shared transactions, a failing one is
// rolled back alone (the savepoint path), and the statements the writer
// keeps are the distinct queries run (BEGIN and COMMIT among them).
func TestTxStatementsShared(t *testing.T) {
	checkNoLeak(t)
	ctx := testCtx(t)
	db := newTable(t, ctx)
	b := NewBatcher(db)
	const n = 200
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			errs[i] = b.Do(ctx, func(ctx context.Context, tx Tx) error {
				k := i
				if i == 7 {
					k = 6 // a duplicate key: this Op fails alone
				}
				_, err := tx.Exec(ctx, insertKV, k, fmt.Sprint("v", i))
				return err
			})
		})
	}
	wg.Wait()
	var updated int64
	if err := b.Do(ctx, func(ctx context.Context, tx Tx) error {
		res, err := tx.Exec(ctx, "UPDATE kv SET v = ? WHERE k < ?", "text", 3)
		if err != nil {
			return err
		}
		updated, err = res.RowsAffected()
		return err
	}); err != nil {
		t.Fatal(err)
	}
	kept := map[string]bool{}
	if err := b.Do(ctx, func(context.Context, Tx) error {
		for q := range b.w.stmts { // the writer's own goroutine
			kept[q] = true
		}
		return nil
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
	if updated != 3 {
		t.Fatalf("RowsAffected %d, want 3", updated)
	}
	for _, q := range []string{"BEGIN IMMEDIATE", "COMMIT", insertKV, "UPDATE kv SET v = ? WHERE k < ?"} {
		if !kept[q] {
			t.Errorf("statement %q not kept prepared (kept: %v)", q, kept)
		}
	}
	if len(b.w.stmts) != 0 {
		t.Fatalf("%d statements left after Close, want them finalised", len(b.w.stmts))
	}
}

// TestTxManyQueries: beyond maxStatements, a query runs from a statement
// of its own, finalised after it, and the kept set stays bounded.
func TestTxManyQueries(t *testing.T) {
	checkNoLeak(t)
	ctx := testCtx(t)
	db := newTable(t, ctx)
	b := NewBatcher(db)
	defer b.Close()
	const n = maxStatements + 20
	for i := range n {
		q := fmt.Sprintf("INSERT INTO kv(k, v) VALUES(%d, ?)", i)
		if err := b.Do(ctx, func(ctx context.Context, tx Tx) error {
			_, err := tx.Exec(ctx, q, "v")
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	if got := count(t, ctx, db); got != n {
		t.Fatalf("rows %d, want %d", got, n)
	}
	var kept int
	_ = b.Do(ctx, func(context.Context, Tx) error { kept = len(b.w.stmts); return nil })
	if kept != maxStatements {
		t.Fatalf("kept %d statements, want the bound %d", kept, maxStatements)
	}
}

// TestPrepareBadQuery names the query that failed and leaves the
// connection usable.
func TestPrepareBadQuery(t *testing.T) {
	checkNoLeak(t)
	ctx := testCtx(t)
	db := newTable(t, ctx)
	b := NewBatcher(db)
	defer b.Close()
	err := b.Prepare(ctx, insertKV, "INSERT INTO nosuch(k) VALUES(?)")
	if err == nil || !strings.Contains(err.Error(), "nosuch") {
		t.Fatalf("err %v, want one naming the bad query", err)
	}
	if err := b.Do(ctx, insert(1, "a")); err != nil {
		t.Fatal(err)
	}
	// the pool's one connection is free between commits: a plain statement runs
	if _, err := db.ExecContext(ctx, insertKV, 2, "b"); err != nil {
		t.Fatal(err)
	}
	if got := count(t, ctx, db); got != 2 {
		t.Fatalf("rows %d, want 2", got)
	}
}

// TestTxBadArgument: an argument the driver cannot take fails its Op
// alone, naming the argument.
func TestTxBadArgument(t *testing.T) {
	checkNoLeak(t)
	ctx := testCtx(t)
	db := newTable(t, ctx)
	b := NewBatcher(db)
	defer b.Close()
	err := b.Do(ctx, func(ctx context.Context, tx Tx) error {
		_, err := tx.Exec(ctx, insertKV, 1, struct{}{})
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "argument 2") {
		t.Fatalf("err %v, want one naming argument 2", err)
	}
	if err := b.Do(ctx, insert(1, "a")); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkUpsertPrepared is an upsert, one Op per Batcher commit (the
// sub-benchmark's name is that of the database/sql prepared statement it
// replaced, for bench/compare.sh).
func BenchmarkUpsertPrepared(b *testing.B) { b.Run("prepared=true", benchmarkUpsert) }

func benchmarkUpsert(b *testing.B) {
	const upsert = "INSERT INTO kv(k, v) VALUES(?, ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v"
	ctx := context.Background()
	db, err := Open(ctx, "")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "CREATE TABLE kv(k INTEGER PRIMARY KEY, v TEXT NOT NULL)"); err != nil {
		b.Fatal(err)
	}
	bt := NewBatcher(db)
	defer bt.Close()
	i := 0
	for b.Loop() {
		i++
		if err := bt.Do(ctx, func(ctx context.Context, tx Tx) error {
			_, err := tx.Exec(ctx, upsert, i%1000, "value")
			return err
		}); err != nil {
			b.Fatal(err)
		}
	}
}
