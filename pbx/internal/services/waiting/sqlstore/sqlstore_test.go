package sqlstore

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	dndstore "pbxlab/pbx/internal/services/dnd/sqlstore"
	"pbxlab/pbx/internal/services/waiting"
	"pbxlab/pbx/internal/store"
)

var _ waiting.Store = (*Store)(nil)

// TestStoreBesideDND: call waiting's settings live in a table of their
// own next to DND's in one database: setting one leaves the other alone,
// and both survive reopening.
func TestStoreBesideDND(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	path := filepath.Join(t.TempDir(), "pbx.db")
	open := func() (*Store, *dndstore.Store) {
		db, err := store.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Close() })
		w, err := New(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		d, err := dndstore.New(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		return w, d
	}
	w, _ := open()
	if err := w.Put(ctx, "1003", false); err != nil {
		t.Fatal(err)
	}
	w, d := open()
	if on, ok, err := w.Get(ctx, "1003"); err != nil || on || !ok {
		t.Errorf("waiting of 1003 = %v %v %v, want off, set", on, ok, err)
	}
	if _, ok, err := d.Get(ctx, "1003"); err != nil || ok {
		t.Errorf("dnd of 1003 = set %v (%v), want never set", ok, err)
	}
}
