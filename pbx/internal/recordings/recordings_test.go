package recordings

import (
	"path/filepath"
	"testing"
	"time"

	"pbxlab/pbx/internal/store"
)

// TestAddList: rows survive a reopen of the file (the migration runs once)
// and list oldest first, all or by call.
func TestAddList(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "pbx.db")
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Unix(1700000000, 0)
	recs := []Record{
		{CallID: "b@x", Caller: "1000", Callee: "1001", File: "/rec/b.wav", Start: t0.Add(time.Minute), End: t0.Add(2 * time.Minute), Samples: 480000},
		{CallID: "a@x", Caller: "1002", Callee: "1000", File: "/rec/a.wav", Start: t0, End: t0.Add(time.Second), Samples: 8000},
	}
	for _, r := range recs {
		if _, err := s.Add(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if s, err = Open(ctx, db); err != nil {
		t.Fatal(err)
	}
	all, err := s.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 || all[0].CallID != "a@x" || all[1].File != "/rec/b.wav" || !all[1].End.Equal(recs[0].End) || all[1].Samples != 480000 {
		t.Fatalf("listed %+v", all)
	}
	one, err := s.List(ctx, "b@x")
	if err != nil || len(one) != 1 || one[0].Caller != "1000" {
		t.Fatalf("by call: %+v, %v", one, err)
	}
}
