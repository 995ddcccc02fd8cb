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
type MemStore struct {
	mu   sync.RWMutex
	aors map[string]map[string]Binding
}

// NewMemStore returns an empty MemStore.
func NewMemStore() *MemStore { return &MemStore{aors: map[string]map[string]Binding{}} }

// Put implements Store.
func (m *MemStore) Put(_ context.Context, bs ...Binding) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, b := range bs {
		byContact := m.aors[b.AOR]
		if byContact == nil {
			byContact = map[string]Binding{}
			m.aors[b.AOR] = byContact
		}
		byContact[b.Contact] = b
	}
	return nil
}

// Delete implements Store.
func (m *MemStore) Delete(_ context.Context, aor string, contacts ...string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, c := range contacts {
		delete(m.aors[aor], c)
	}
	if len(m.aors[aor]) == 0 {
		delete(m.aors, aor)
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
	bs := make([]Binding, 0, len(m.aors[aor]))
	for _, b := range m.aors[aor] {
		bs = append(bs, b)
	}
	m.mu.RUnlock()
	sortBindings(bs)
	return bs, nil
}

// Purge implements Store.
func (m *MemStore) Purge(_ context.Context, now time.Time) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for aor, byContact := range m.aors {
		for c, b := range byContact {
			if !b.Static && !b.Expires.After(now) {
				delete(byContact, c)
				n++
			}
		}
		if len(byContact) == 0 {
			delete(m.aors, aor)
		}
	}
	return n, nil
}

// All implements Store.
func (m *MemStore) All(_ context.Context) ([]Binding, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var bs []Binding
	for _, byContact := range m.aors {
		for _, b := range byContact {
			bs = append(bs, b)
		}
	}
	return bs, nil
}

// CountLive returns the number of bindings unexpired at now, without
// copying them.
func (m *MemStore) CountLive(now time.Time) int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	n := 0
	for _, byContact := range m.aors {
		for _, b := range byContact {
			if b.live(now) {
				n++
			}
		}
	}
	return n
}
