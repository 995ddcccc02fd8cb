package registrar

import (
	"context"
	"errors"
	"testing"
	"time"
)

// gatedStore is a backend whose writes wait for release and then return
// err: a commit in progress, and one that fails.
type gatedStore struct {
	*MemStore
	entered chan struct{}
	release chan error
}

func (g gatedStore) Put(ctx context.Context, bs ...Binding) error {
	g.entered <- struct{}{}
	if err := <-g.release; err != nil {
		return err
	}
	return g.MemStore.Put(ctx, bs...)
}

func (g gatedStore) Delete(ctx context.Context, aor string, contacts ...string) error {
	g.entered <- struct{}{}
	if err := <-g.release; err != nil {
		return err
	}
	return g.MemStore.Delete(ctx, aor, contacts...)
}

// TestCachedReadsSeeWritesBeforeTheirCommit: while the backend commits a
// REGISTER's binding (a group-commit window), Lookup already routes to it;
// the write returns only after the commit; a write the backend refuses is
// undone in memory, a refused Delete included.
func TestCachedReadsSeeWritesBeforeTheirCommit(t *testing.T) {
	ctx := testCtx(t)
	g := gatedStore{MemStore: NewMemStore(), entered: make(chan struct{}), release: make(chan error)}
	c, err := NewCached(ctx, g)
	if err != nil {
		t.Fatal(err)
	}
	old := Binding{AOR: "1002", Contact: "sip:1002@10.0.0.5;transport=tcp", Transport: "tcp", Expires: t0.Add(time.Hour), Q: 1, CallID: "c", CSeq: 1, UpdatedAt: t0}
	put := func(b Binding) <-chan error {
		done := make(chan error, 1)
		go func() { done <- c.Put(ctx, b) }()
		<-g.entered // the backend is committing
		return done
	}
	contactOf := func() string {
		bs, err := c.Lookup(ctx, "1002")
		if err != nil {
			t.Fatal(err)
		}
		if len(bs) != 1 {
			t.Fatalf("bindings %+v, want one", bs)
		}
		return bs[0].Contact + " " + bs[0].CallID
	}

	done := put(old)
	if got := contactOf(); got != old.Contact+" c" {
		t.Fatalf("during the commit Lookup gives %q, want the binding being committed", got)
	}
	select {
	case err := <-done:
		t.Fatalf("Put returned (%v) before its commit", err)
	default:
	}
	g.release <- nil
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	refused := errors.New("disk full")
	newer := old
	newer.CallID, newer.CSeq = "d", 2
	done = put(newer)
	if got := contactOf(); got != old.Contact+" d" {
		t.Fatalf("during the second commit Lookup gives %q, want the newer binding", got)
	}
	g.release <- refused
	if err := <-done; !errors.Is(err, refused) {
		t.Fatalf("Put: %v, want the backend's error", err)
	}
	if got := contactOf(); got != old.Contact+" c" {
		t.Fatalf("after a refused Put Lookup gives %q, want the committed binding back", got)
	}

	del := make(chan error, 1)
	go func() { del <- c.Delete(ctx, "1002", old.Contact) }()
	<-g.entered
	if bs, _ := c.Lookup(ctx, "1002"); len(bs) != 0 {
		t.Fatalf("during a Delete's commit Lookup gives %+v, want none", bs)
	}
	g.release <- refused
	if err := <-del; !errors.Is(err, refused) {
		t.Fatalf("Delete: %v, want the backend's error", err)
	}
	if got := contactOf(); got != old.Contact+" c" {
		t.Fatalf("after a refused Delete Lookup gives %q, want the binding back", got)
	}
}
