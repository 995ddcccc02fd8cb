package sqlstore

import (
	"context"
	"maps"
	"path/filepath"
	"slices"
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
		s, err := New(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	out := func(s *Store, group string) []string {
		t.Helper()
		m, err := s.LoggedOut(ctx, group)
		if err != nil {
			t.Fatal(err)
		}
		return slices.Sorted(maps.Keys(m))
	}
	s := open()
	for _, op := range []struct {
		group, member string
		out           bool
	}{{"sales", "1001", true}, {"sales", "1002", true}, {"sales", "1001", true}, {"support", "1003", true}, {"sales", "1002", false}, {"sales", "1009", false}} {
		if err := s.SetLoggedOut(ctx, op.group, op.member, op.out); err != nil {
			t.Fatal(err)
		}
	}
	for _, st := range []*Store{s, open()} { // a restart keeps it
		if got := out(st, "sales"); !slices.Equal(got, []string{"1001"}) {
			t.Errorf("sales logged out = %v, want [1001]", got)
		}
		if got := out(st, "support"); !slices.Equal(got, []string{"1003"}) {
			t.Errorf("support logged out = %v, want [1003]", got)
		}
		if got := out(st, "none"); len(got) != 0 {
			t.Errorf("unknown group logged out = %v, want none", got)
		}
	}
}
