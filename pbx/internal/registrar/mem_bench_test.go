package registrar

import (
	"context"
	"net/netip"
	"runtime"
	"strconv"
	"testing"
	"time"
)

// BenchmarkMemStoreBinding measures the heap one binding keeps in the
// registrar's in-memory cache (MemStore, inside Cached), as 100k phones
// with one contact each leave it: B/binding is the live heap after GC
// divided by the bindings, strings not counted (they are shared with the
// input here; in the PBX they add ~100 B). One op is one binding put.
func BenchmarkMemStoreBinding(b *testing.B) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	bindings := make([]Binding, b.N)
	for i := range bindings {
		n := strconv.Itoa(200000 + i)
		bindings[i] = Binding{
			AOR:       n,
			Contact:   "sip:" + n + "@127.0.0." + strconv.Itoa(1+i%8) + ":" + strconv.Itoa(20000+i%30000),
			Received:  netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, byte(1 + i%8)}), uint16(20000+i%30000)),
			Transport: "udp",
			Expires:   now.Add(300 * time.Second),
			Q:         1,
			CallID:    "reg-" + n + "-a84b4c76e66710@127.0.0.1",
			CSeq:      2,
			UpdatedAt: now,
		}
	}
	ctx := context.Background()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	m := NewMemStore()
	for i := range bindings {
		if err := m.Put(ctx, bindings[i]); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(bindings) // the strings are shared: what grew is the store's own
	b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/float64(b.N), "B/binding")
	if m.CountLive(now) != b.N {
		b.Fatalf("live = %d, want %d", m.CountLive(now), b.N)
	}
}
