package sqlstore

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"pbxlab/pbx/internal/services/wakeup"
	"pbxlab/pbx/internal/store"
)

var _ wakeup.Store = (*Store)(nil)

// TestStore: alarms survive reopening the database; Delete clears one.
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
	st := open()
	for _, p := range [][2]string{{"1001", "0630"}, {"1002", "0700"}, {"1001", "0645"}} {
		if err := st.Put(ctx, p[0], p[1]); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Delete(ctx, "1002"); err != nil {
		t.Fatal(err)
	}
	all, err := open().All(ctx)
	if err != nil || len(all) != 1 || all["1001"] != "0645" {
		t.Errorf("All after reopening = %v %v, want 1001 at 0645", all, err)
	}
}
