package registrar

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"time"
)

// Store is the location service's storage. Bindings are keyed by
// (AOR, Contact). Implementations are safe for concurrent use; a nil error
// from a write means the write is durable as far as the implementation
// promises (SQLStore: committed).
type Store interface {
	// Put inserts or replaces bindings, atomically.
	Put(ctx context.Context, bs ...Binding) error
	// Delete removes the named contacts of aor (missing ones are ignored).
	Delete(ctx context.Context, aor string, contacts ...string) error
	// DeleteAOR removes every binding of aor.
	DeleteAOR(ctx context.Context, aor string) error
	// Lookup returns aor's stored bindings, expired ones included, sorted by
	// q descending, then most recently updated first.
	Lookup(ctx context.Context, aor string) ([]Binding, error)
	// Purge removes non-static bindings whose Expires is not after now and
	// returns how many it removed.
	Purge(ctx context.Context, now time.Time) (int, error)
	// All returns every stored binding (order unspecified).
	All(ctx context.Context) ([]Binding, error)
}

// sortBindings orders by q descending, then newest first, then contact
// (for a deterministic order).
func sortBindings(bs []Binding) {
	slices.SortFunc(bs, func(a, b Binding) int {
		if c := cmp.Compare(b.Q, a.Q); c != 0 {
			return c
		}
		if c := b.UpdatedAt.Compare(a.UpdatedAt); c != 0 {
			return c
		}
		return cmp.Compare(a.Contact, b.Contact)
	})
}

// MemStore is a Store in memory only: bindings are lost on restart. It is
// also the cache inside Cached.
//
// Each AOR's bindings are a slice, not a map by contact: an AOR has one
// contact or a few, and a map of one entry costs a few hundred bytes more
// per binding than the binding itself (BenchmarkMemStoreBinding).
type MemStore struct {
	mu   sync.RWMutex
	aors map[string][]Binding
}

// NewMemStore returns an empty MemStore.
func NewMemStore() *MemStore { return &MemStore{aors: map[string][]Binding{}} }

// Put implements Store.
func (m *MemStore) Put(_ context.Context, bs ...Binding) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, b := range bs {
		cur := m.aors[b.AOR]
		if i := slices.IndexFunc(cur, func(x Binding) bool { return x.Contact == b.Contact }); i >= 0 {
			cur[i] = b
			continue
		}
		m.aors[b.AOR] = append(cur, b)
	}
	return nil
}

// Delete implements Store.
func (m *MemStore) Delete(_ context.Context, aor string, contacts ...string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	cur, ok := m.aors[aor]
	if !ok {
		return nil
	}
	cur = slices.DeleteFunc(cur, func(x Binding) bool { return slices.Contains(contacts, x.Contact) })
	if len(cur) == 0 {
		delete(m.aors, aor)
	} else {
		m.aors[aor] = cur
	}
	return nil
}

// DeleteAOR implements Store.
func (m *MemStore) DeleteAOR(_ context.Context, aor string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.aors, aor)
	return nil
}

// Lookup implements Store.
func (m *MemStore) Lookup(_ context.Context, aor string) ([]Binding, error) {
	m.mu.RLock()
	bs := slices.Clone(m.aors[aor])
	m.mu.RUnlock()
	if bs == nil {
		bs = []Binding{}
	}
	sortBindings(bs)
	return bs, nil
}

// Purge implements Store.
func (m *MemStore) Purge(_ context.Context, now time.Time) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for aor, cur := range m.aors {
		kept := slices.DeleteFunc(cur, func(b Binding) bool { return !b.Static && !b.Expires.After(now) })
		n += len(cur) - len(kept)
		if len(kept) == 0 {
			delete(m.aors, aor)
		} else {
			m.aors[aor] = kept
		}
	}
	return n, nil
}

// Expired returns the non-static bindings whose Expires is not after now.
func (m *MemStore) Expired(now time.Time) []Binding {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var bs []Binding
	for _, cur := range m.aors {
		for _, b := range cur {
			if !b.Static && !b.Expires.After(now) {
				bs = append(bs, b)
			}
		}
	}
	return bs
}

// All implements Store.
func (m *MemStore) All(_ context.Context) ([]Binding, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var bs []Binding
	for _, cur := range m.aors {
		bs = append(bs, cur...)
	}
	return bs, nil
}

// CountLive returns the number of bindings unexpired at now, without
// copying them.
func (m *MemStore) CountLive(now time.Time) int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	n := 0
	for _, cur := range m.aors {
		for _, b := range cur {
			if b.live(now) {
				n++
			}
		}
	}
	return n
}
