package flagstore

import (
	"context"
	"database/sql"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"pbxlab/pbx/internal/store"
)

// openDB opens the database at path, closed when the test ends.
func openDB(ctx context.Context, t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// newStore returns a Store of a test table in db.
func newStore(ctx context.Context, t *testing.T, db *sql.DB) *Store {
	t.Helper()
	st, err := New(ctx, db, Spec{Schema: "test", Table: "test_flag", Column: "flag_on", What: "test flag"})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestStore: settings survive reopening the database.
func TestStore(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	path := filepath.Join(t.TempDir(), "pbx.db")
	open := func() *Store { return newStore(ctx, t, openDB(ctx, t, path)) }
	st := open()
	for _, p := range []struct {
		sub string
		on  bool
	}{{"1002", true}, {"1003", true}, {"1003", false}} {
		if err := st.Put(ctx, p.sub, p.on); err != nil {
			t.Fatal(err)
		}
	}
	st = open()
	for _, g := range []struct {
		sub    string
		on, ok bool
	}{{"1002", true, true}, {"1003", false, true}, {"1004", false, false}} {
		on, ok, err := st.Get(ctx, g.sub)
		if err != nil || on != g.on || ok != g.ok {
			t.Errorf("Get(%s) = %v %v %v, want %v %v", g.sub, on, ok, err, g.on, g.ok)
		}
	}
}

// TestStoreWritesThrough: Get answers from memory (the database closed
// under it, it still knows every setting), and a Put the database refuses
// changes nothing: memory never holds a setting the database lacks.
func TestStoreWritesThrough(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	db := openDB(ctx, t, filepath.Join(t.TempDir(), "pbx.db"))
	st := newStore(ctx, t, db)
	if err := st.Put(ctx, "1002", true); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := st.Put(ctx, "1002", false); err == nil {
		t.Fatal("Put on a closed database succeeded")
	}
	if err := st.Put(ctx, "1003", true); err == nil {
		t.Fatal("Put on a closed database succeeded")
	}
	for _, g := range []struct {
		sub    string
		on, ok bool
	}{{"1002", true, true}, {"1003", false, false}} {
		on, ok, err := st.Get(ctx, g.sub)
		if err != nil || on != g.on || ok != g.ok {
			t.Errorf("Get(%s) = %v %v %v, want %v %v", g.sub, on, ok, err, g.on, g.ok)
		}
	}
}

// TestStoreConcurrentPuts: Puts racing for one subscriber, with Gets
// beside them, leave memory as the database: a store reopened on it reads
// the same setting.
func TestStoreConcurrentPuts(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	db := openDB(ctx, t, filepath.Join(t.TempDir(), "pbx.db"))
	st := newStore(ctx, t, db)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 20 {
				if err := st.Put(ctx, "1002", (i+j)%2 == 0); err != nil {
					t.Error(err)
					return
				}
				if _, ok, _ := st.Get(ctx, "1002"); !ok {
					t.Error("Get after Put: not set")
					return
				}
			}
		})
	}
	wg.Wait()
	again := newStore(ctx, t, db)
	mem, _, _ := st.Get(ctx, "1002")
	disk, ok, _ := again.Get(ctx, "1002")
	if !ok || mem != disk {
		t.Fatalf("memory %v, database %v (set %v)", mem, disk, ok)
	}
}
