package sqlstore

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"pbxlab/pbx/internal/services/dnd"
	"pbxlab/pbx/internal/store"
)

var _ dnd.Store = (*Store)(nil)

// TestStore: the DND setting survives reopening the database (the table
// and its migration are flagstore's, tested there; this is the dnd
// table's round trip).
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
	if err := open().Put(ctx, "1002", true); err != nil {
		t.Fatal(err)
	}
	if on, ok, err := open().Get(ctx, "1002"); err != nil || !on || !ok {
		t.Errorf("Get(1002) after reopening = %v %v %v, want on", on, ok, err)
	}
}
