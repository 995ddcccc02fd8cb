package sqlstore

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"pbxlab/pbx/internal/services/hotline"
	"pbxlab/pbx/internal/store"
)

var _ hotline.Store = (*Store)(nil)

// TestStore: a hotline set from the phone survives reopening the
// database; a cleared one stays cleared (beats the configuration).
func TestStore(t *testing.T) {
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
	if _, ok, err := open().Get(ctx, "1002"); err != nil || ok {
		t.Fatalf("Get(1002) before any Put = %v %v, want none", ok, err)
	}
	want := hotline.Setting{Number: "1003", Delay: 4 * time.Second}
	if err := open().Put(ctx, "1002", want); err != nil {
		t.Fatal(err)
	}
	if got, ok, err := open().Get(ctx, "1002"); err != nil || !ok || got != want {
		t.Errorf("Get(1002) after reopening = %+v %v %v, want %+v", got, ok, err, want)
	}
	if err := open().Put(ctx, "1002", hotline.Setting{}); err != nil {
		t.Fatal(err)
	}
	if got, ok, err := open().Get(ctx, "1002"); err != nil || !ok || got != (hotline.Setting{}) {
		t.Errorf("Get(1002) after clearing = %+v %v %v, want cleared", got, ok, err)
	}
}
