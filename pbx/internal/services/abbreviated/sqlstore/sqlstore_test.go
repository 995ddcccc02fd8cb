package sqlstore

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"pbxlab/pbx/internal/store"
)

func TestStore(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	path := filepath.Join(t.TempDir(), "pbx.db")
	open := func() *Store {
		t.Helper()
		db, err := store.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Close() })
		s, err := New(ctx, db) // a second New on the same file migrates nothing twice
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	s := open()
	type get struct {
		sub, code, want string
		ok              bool
	}
	check := func(s *Store, gets ...get) {
		t.Helper()
		for _, g := range gets {
			n, ok, err := s.Get(ctx, g.sub, g.code)
			if err != nil || ok != g.ok || n != g.want {
				t.Errorf("Get(%s, %s) = %q %v %v, want %q %v", g.sub, g.code, n, ok, err, g.want, g.ok)
			}
		}
	}
	for _, p := range [][3]string{{"1001", "01", "1002"}, {"1001", "02", "1003"}, {"1002", "01", "1004"}, {"1001", "01", "1005"}} {
		if err := s.Put(ctx, p[0], p[1], p[2]); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Delete(ctx, "1001", "02"); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "1001", "99"); err != nil {
		t.Fatalf("deleting a code nobody set: %v", err)
	}
	want := []get{{"1001", "01", "1005", true}, {"1001", "02", "", false}, {"1002", "01", "1004", true}, {"1003", "01", "", false}}
	check(s, want...)
	check(open(), want...) // reopened: the same rows
}
