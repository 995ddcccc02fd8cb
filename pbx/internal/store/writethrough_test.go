package store

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"
)

// TestWriteThrough: the rows are loaded; a Put whose write fails changes
// nothing; a Get does not wait for a Put's write in progress and sees the
// new value once that write succeeded.
func TestWriteThrough(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	db, err := Open(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if _, err := db.ExecContext(ctx, `CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER); INSERT INTO kv VALUES ('a', 1), ('b', 2)`); err != nil {
		t.Fatal(err)
	}
	w, err := LoadWriteThrough(ctx, db, `SELECT k, v FROM kv`,
		func(rows *sql.Rows) (k string, v int, err error) { return k, v, rows.Scan(&k, &v) })
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := w.Get("b"); !ok || v != 2 {
		t.Fatalf("Get(b) = %d %v, want 2 true", v, ok)
	}
	refused := errors.New("refused")
	if err := w.Put("a", 9, func() error { return refused }); !errors.Is(err, refused) {
		t.Fatalf("Put = %v, want the write's error", err)
	}
	if v, _ := w.Get("a"); v != 1 {
		t.Fatalf("after a refused write Get(a) = %d, want 1", v)
	}
	writing, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- w.Put("a", 5, func() error { close(writing); <-release; return nil })
	}()
	<-writing
	if v, _ := w.Get("a"); v != 1 { // returns while the write is held: Get does not wait for it
		t.Fatalf("during the write Get(a) = %d, want 1", v)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if v, _ := w.Get("a"); v != 5 {
		t.Fatalf("after the write Get(a) = %d, want 5", v)
	}
	if _, err := LoadWriteThrough(ctx, db, `SELECT nope FROM kv`,
		func(rows *sql.Rows) (k string, v int, err error) { return k, v, rows.Scan(&k, &v) }); err == nil {
		t.Fatal("a bad query loaded")
	}
}
