package store

import (
	"bytes"
	"database/sql"
	"errors"
	"path/filepath"
	"sync"
	"testing"
)

// TestSecretPersists: created once, the same bytes on every later call and
// after reopening the file; another name is another secret.
func TestSecretPersists(t *testing.T) {
	checkNoLeak(t)
	ctx := testCtx(t)
	path := filepath.Join(t.TempDir(), "pbx.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	first, err := Secret(ctx, db, "nonce", 32)
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 32 || bytes.Equal(first, make([]byte, 32)) {
		t.Fatalf("secret %x", first)
	}
	again, err := Secret(ctx, db, "nonce", 32)
	if err != nil || !bytes.Equal(again, first) {
		t.Fatalf("second call: %x, %v; want %x", again, err, first)
	}
	other, err := Secret(ctx, db, "other", 32)
	if err != nil || bytes.Equal(other, first) {
		t.Fatalf("other name: %x, %v", other, err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	reopened, err := Secret(ctx, db, "nonce", 32)
	if err != nil || !bytes.Equal(reopened, first) {
		t.Fatalf("after reopening: %x, %v; want %x", reopened, err, first)
	}
	if _, err := Secret(ctx, db, "nonce", 64); !errors.Is(err, ErrSecret) {
		t.Errorf("asking for more bytes than stored: %v, want ErrSecret", err)
	}
}

// TestSecretRace: openers of one file racing to create the secret (and to
// migrate its table) all end up with the one that was committed. The files
// are opened one after the other: switching a new file to WAL is not what
// is raced here.
func TestSecretRace(t *testing.T) {
	checkNoLeak(t)
	ctx := testCtx(t)
	path := filepath.Join(t.TempDir(), "pbx.db")
	dbs := make([]*sql.DB, 4)
	for i := range dbs {
		db, err := Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Close() })
		dbs[i] = db
	}
	var wg sync.WaitGroup
	got := make([][]byte, len(dbs))
	errs := make([]error, len(dbs))
	for i, db := range dbs {
		wg.Go(func() { got[i], errs[i] = Secret(ctx, db, "nonce", 32) })
	}
	wg.Wait()
	for i := range got {
		if errs[i] != nil {
			t.Fatalf("opener %d: %v", i, errs[i])
		}
		if !bytes.Equal(got[i], got[0]) {
			t.Errorf("opener %d got %x, opener 0 %x", i, got[i], got[0])
		}
	}
}
