package sqlstore

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"pbxlab/pbx/internal/services/forward"
	"pbxlab/pbx/internal/store"
)

var _ forward.Store = (*Store)(nil)

// TestSQLStore: forwards kept in SQLite survive reopening the database;
// a cleared forward ("") is kept as set.
func TestSQLStore(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	path := filepath.Join(t.TempDir(), "pbx.db")
	open := func() *Store {
		db, err := store.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Close() })
		st, err := New(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	st := open()
	for _, p := range []struct {
		sub    string
		k      forward.Kind
		number string
	}{{"1002", forward.Busy, "1003"}, {"1002", forward.NoReply, "1004"}, {"1002", forward.Busy, "1005"}, {"1003", forward.Unconditional, ""}} {
		if err := st.Put(ctx, p.sub, p.k, p.number); err != nil {
			t.Fatal(err)
		}
	}
	st = open()
	for _, g := range []struct {
		sub    string
		k      forward.Kind
		number string
		ok     bool
	}{{"1002", forward.Busy, "1005", true}, {"1002", forward.NoReply, "1004", true}, {"1002", forward.Unreachable, "", false}, {"1003", forward.Unconditional, "", true}, {"1004", forward.Busy, "", false}} {
		n, ok, err := st.Get(ctx, g.sub, g.k)
		if err != nil || n != g.number || ok != g.ok {
			t.Errorf("Get(%s, %s) = %q %v %v, want %q %v", g.sub, g.k, n, ok, err, g.number, g.ok)
		}
	}
}

// TestSQLStoreWritesThrough: Get answers from memory (the database closed
// under it), and a Put the database refuses changes nothing.
func TestSQLStoreWritesThrough(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "pbx.db"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := New(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Put(ctx, "1002", forward.Busy, "1003"); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := st.Put(ctx, "1002", forward.Busy, "1009"); err == nil {
		t.Fatal("Put on a closed database succeeded")
	}
	if err := st.Put(ctx, "1002", forward.NoReply, "1009"); err == nil {
		t.Fatal("Put on a closed database succeeded")
	}
	for _, g := range []struct {
		k      forward.Kind
		number string
		ok     bool
	}{{forward.Busy, "1003", true}, {forward.NoReply, "", false}} {
		n, ok, err := st.Get(ctx, "1002", g.k)
		if err != nil || n != g.number || ok != g.ok {
			t.Errorf("Get(1002, %s) = %q %v %v, want %q %v", g.k, n, ok, err, g.number, g.ok)
		}
	}
}
