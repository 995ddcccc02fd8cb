package registrar

import (
	"context"
	"fmt"
	"hash/fnv"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"pbxlab/pbx/internal/store"
)

// stores returns each Store implementation, fresh.
func stores(t *testing.T) map[string]Store {
	t.Helper()
	ctx := testCtx(t)
	sqlStore := func() *SQLStore {
		db, err := store.Open(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		s, err := NewSQLStore(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close(); db.Close() })
		return s
	}
	cached, err := NewCached(ctx, sqlStore())
	if err != nil {
		t.Fatal(err)
	}
	return map[string]Store{"mem": NewMemStore(), "sql": sqlStore(), "cached": cached}
}

func TestStoreImplementations(t *testing.T) {
	now := t0
	b := func(aor, contact string, q float64, updated, expires time.Duration) Binding {
		return Binding{AOR: aor, Contact: contact, Received: netip.MustParseAddrPort("198.51.100.1:5060"), Transport: "udp",
			Expires: now.Add(expires), Q: q, CallID: "c", CSeq: 1, UpdatedAt: now.Add(updated)}
	}
	for name, s := range stores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := testCtx(t)
			must := func(err error) {
				t.Helper()
				if err != nil {
					t.Fatal(err)
				}
			}
			contacts := func(aor string) []string {
				t.Helper()
				bs, err := s.Lookup(ctx, aor)
				must(err)
				var out []string
				for _, b := range bs {
					out = append(out, b.Contact)
				}
				return out
			}
			must(s.Put(ctx, b("1000", "sip:a", 0.5, 0, time.Minute), b("1000", "sip:b", 1, 0, time.Minute),
				b("1000", "sip:c", 0.5, time.Second, 2*time.Minute), b("2000", "sip:x", 1, 0, time.Hour)))
			if got, want := contacts("1000"), []string{"sip:b", "sip:c", "sip:a"}; !slices.Equal(got, want) {
				t.Fatalf("Lookup order %v, want %v (q desc, newest first)", got, want)
			}
			// Put replaces by (AOR, Contact).
			must(s.Put(ctx, b("1000", "sip:a", 1, 2*time.Second, time.Minute)))
			if got, want := contacts("1000"), []string{"sip:a", "sip:b", "sip:c"}; !slices.Equal(got, want) {
				t.Fatalf("after replace %v, want %v", got, want)
			}
			must(s.Delete(ctx, "1000", "sip:b", "sip:missing"))
			if got, want := contacts("1000"), []string{"sip:a", "sip:c"}; !slices.Equal(got, want) {
				t.Fatalf("after delete %v, want %v", got, want)
			}
			static := Binding{AOR: "3000", Contact: "sip:s", Q: 1, Static: true}
			must(s.Put(ctx, static))
			n, err := s.Purge(ctx, now.Add(90*time.Second))
			must(err)
			if n != 1 || !slices.Equal(contacts("1000"), []string{"sip:c"}) || len(contacts("3000")) != 1 {
				t.Fatalf("purge removed %d; 1000 has %v, 3000 has %v", n, contacts("1000"), contacts("3000"))
			}
			must(s.DeleteAOR(ctx, "1000"))
			all, err := s.All(ctx)
			must(err)
			if len(all) != 2 || len(contacts("1000")) != 0 {
				t.Fatalf("All after DeleteAOR = %v", describe(all))
			}
			got, _ := s.Lookup(ctx, "2000")
			if want := b("2000", "sip:x", 1, 0, time.Hour); len(got) != 1 || !sameBinding(got[0], want) {
				t.Fatalf("round trip %+v, want %+v", got, want)
			}
		})
	}
}

func sameBinding(a, b Binding) bool {
	return a.AOR == b.AOR && a.Contact == b.Contact && a.Received == b.Received && a.Transport == b.Transport &&
		a.Expires.Equal(b.Expires) && a.Q == b.Q && a.CallID == b.CallID && a.CSeq == b.CSeq &&
		a.Static == b.Static && a.UpdatedAt.Equal(b.UpdatedAt)
}

// openStack opens the production stack on path: SQLite, SQLStore, Cached.
func openStack(t *testing.T, ctx context.Context, path string) (Store, func()) {
	t.Helper()
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSQLStore(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewCached(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	return c, func() { s.Close(); db.Close() }
}

func TestBindingsSurviveRestart(t *testing.T) {
	checkNoLeak(t)
	ctx := testCtx(t)
	path := filepath.Join(t.TempDir(), "pbx.db")
	st, closeStack := openStack(t, ctx, path)
	r, clk := newReg(t, st, false)
	req := reg{user: "1000", callID: "cid", cseq: 3, expires: "600", source: "203.0.113.9:40123", tp: "TCP",
		contacts: []string{"<sip:1000@10.0.0.5:5062;transport=tcp>;q=0.7", "<sip:1000@10.0.0.6>"}}.build(t)
	if res := r.Handle(ctx, req); res.StatusCode != 200 {
		t.Fatalf("status %d", res.StatusCode)
	}
	before, err := r.Lookup(ctx, "1000")
	if err != nil || len(before) != 2 {
		t.Fatalf("Lookup = %v, %v", before, err)
	}
	closeStack()

	st2, closeStack2 := openStack(t, ctx, path)
	defer closeStack2()
	r2, err := New(st2, nil, WithClock(clk))
	if err != nil {
		t.Fatal(err)
	}
	after, err := r2.Lookup(ctx, "1000")
	if err != nil || len(after) != 2 {
		t.Fatalf("after restart Lookup = %v, %v", after, err)
	}
	for i := range before {
		if !sameBinding(before[i], after[i]) {
			t.Fatalf("binding %d changed across restart:\n%+v\n%+v", i, before[i], after[i])
		}
	}
	// The CSeq state survived too: a replay of the same REGISTER is refused.
	if res := r2.Handle(ctx, req); res.StatusCode != 400 {
		t.Fatalf("replayed CSeq after restart: %d, want 400", res.StatusCode)
	}
}

func TestExpiryAndPurge(t *testing.T) {
	checkNoLeak(t)
	ctx := testCtx(t)
	st := NewMemStore()
	r, clk := newReg(t, st, false, WithPurgeInterval(30*time.Second))
	if res := r.Handle(ctx, reg{user: "1000", expires: "60", contacts: []string{"sip:1000@10.0.0.5"}}.build(t)); res.StatusCode != 200 {
		t.Fatalf("status %d", res.StatusCode)
	}
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	clk.Advance(61 * time.Second)
	if bs, _ := r.Lookup(ctx, "1000"); len(bs) != 0 {
		t.Fatalf("expired binding still returned: %v", describe(bs))
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		all, _ := st.All(ctx)
		if len(all) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not purged: %v", describe(all))
		}
		clk.Advance(30 * time.Second) // Run may have armed its timer after the first Advance
		time.Sleep(10 * time.Millisecond)
	}
	r.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop on Close")
	}
}

// TestConcurrentRegisters drives the production stack from many goroutines
// (for -race and for the group commit); every acknowledged binding is there.
func TestConcurrentRegisters(t *testing.T) {
	checkNoLeak(t)
	ctx := testCtx(t)
	st, closeStack := openStack(t, ctx, filepath.Join(t.TempDir(), "pbx.db"))
	defer closeStack()
	r, _ := newReg(t, st, false)
	const n = 64
	var wg sync.WaitGroup
	codes := make(chan int, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			user := fmt.Sprint(1000 + i%16)
			req := reg{user: user, callID: fmt.Sprint("c", i), expires: "600",
				contacts: []string{fmt.Sprintf("sip:%s@10.0.%d.%d", user, i/16, i%16)}}.build(t)
			codes <- r.Handle(ctx, req).StatusCode
		}()
	}
	wg.Wait()
	close(codes)
	for c := range codes {
		if c != 200 {
			t.Fatalf("status %d", c)
		}
	}
	all, err := st.All(ctx)
	if err != nil || len(all) != n {
		t.Fatalf("%d bindings, %v; want %d", len(all), err, n)
	}
}

// stripe is FNV-1a as hash/fnv computes it, so the stripes stay where they were.
func TestStripeIsFNV1a(t *testing.T) {
	for _, aor := range []string{"", "1000", "alice", "ünï", strings.Repeat("9", 300)} {
		h := fnv.New32a()
		h.Write([]byte(aor))
		if got, want := stripe(aor), h.Sum32(); got != want {
			t.Errorf("stripe(%q) = %#x, want %#x", aor, got, want)
		}
	}
}

// TestCachedPurgeDeletesByKey: the production stack purges by primary key
// what memory found expired, so the rows are gone from SQLite too (a
// restart does not bring them back), a row refreshed in the database since
// stays, and the schema has no index on expires_ns left to maintain.
func TestCachedPurgeDeletesByKey(t *testing.T) {
	ctx := testCtx(t)
	path := filepath.Join(t.TempDir(), "bindings.db")
	st, closeStack := openStack(t, ctx, path)
	b := func(aor string, expires time.Duration) Binding {
		return Binding{AOR: aor, Contact: "sip:" + aor + "@10.0.0.5", Transport: "udp", Expires: t0.Add(expires), Q: 1, CallID: "c", CSeq: 1, UpdatedAt: t0}
	}
	if err := st.Put(ctx, b("1000", time.Minute), b("1001", time.Hour), b("1002", time.Minute),
		Binding{AOR: "3000", Contact: "sip:s", Q: 1, Static: true}); err != nil {
		t.Fatal(err)
	}
	n, err := st.Purge(ctx, t0.Add(2*time.Minute))
	if err != nil || n != 2 {
		t.Fatalf("purge: %d, %v; want 2 rows deleted", n, err)
	}
	sq := st.(*Cached).back.(*SQLStore)
	// memory listed 1001 as expired, but the database has it refreshed
	if k, err := sq.DeleteExpired(ctx, t0.Add(2*time.Minute), []Binding{b("1001", 0)}); err != nil || k != 0 {
		t.Fatalf("DeleteExpired of a row that has not expired: %d, %v", k, err)
	}
	var idx int
	if err := sq.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = 'registrar_bindings_expires'`).Scan(&idx); err != nil || idx != 0 {
		t.Fatalf("index on expires_ns: %d, %v; want dropped", idx, err)
	}
	closeStack()
	st, closeStack = openStack(t, ctx, path)
	defer closeStack()
	all, err := st.All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var aors []string
	for _, x := range all {
		aors = append(aors, x.AOR)
	}
	slices.Sort(aors)
	if !slices.Equal(aors, []string{"1001", "3000"}) {
		t.Fatalf("after purge and restart: %v, want [1001 3000]", aors)
	}
}
