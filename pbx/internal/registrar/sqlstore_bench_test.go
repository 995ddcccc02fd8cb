package registrar

import (
	"context"
	"fmt"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"pbxlab/pbx/internal/store"
)

// BenchmarkSQLStoreRefresh is the binding writes of a registration storm's
// refreshes: 20,000 bindings in an SQLite file, refreshed 10 per group
// commit (a new Expires and CSeq each, as a REGISTER refresh writes them),
// AORs spread over the table. One op is one commit of 10.
func BenchmarkSQLStoreRefresh(b *testing.B) {
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(b.TempDir(), "bindings.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	s, err := NewSQLStore(ctx, db)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	const n = 20000
	now := time.Now()
	binding := func(k, seq int) Binding {
		aor := fmt.Sprint(100000 + k)
		return Binding{AOR: aor, Contact: "sip:" + aor + "@127.0.0.1:5060", Received: netip.MustParseAddrPort("127.0.0.1:5060"),
			Transport: "udp", Expires: now.Add(time.Hour + time.Duration(seq)*time.Millisecond), Q: 1, CallID: "c", CSeq: uint32(seq), UpdatedAt: now}
	}
	bs := make([]Binding, 0, 500)
	for k := range n {
		if bs = append(bs, binding(k, 0)); len(bs) == cap(bs) {
			if err := s.Put(ctx, bs...); err != nil {
				b.Fatal(err)
			}
			bs = bs[:0]
		}
	}
	seq := 0
	batch := make([]Binding, 10)
	for b.Loop() {
		for j := range batch {
			seq++
			batch[j] = binding(seq*7919%n, seq)
		}
		if err := s.Put(ctx, batch...); err != nil {
			b.Fatal(err)
		}
	}
}
