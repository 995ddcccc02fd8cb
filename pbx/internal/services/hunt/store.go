package hunt

import (
	"context"
	"sync"
)

// Store keeps who is logged out of which group (a member is logged in
// unless the store says otherwise).
type Store interface {
	// LoggedOut returns the members of group that are logged out.
	LoggedOut(ctx context.Context, group string) (map[string]bool, error)
	// SetLoggedOut logs member out of group (out) or back in (!out).
	SetLoggedOut(ctx context.Context, group, member string, out bool) error
}

// MemStore is a Store in memory (tests, a PBX without a database).
type MemStore struct {
	mu  sync.Mutex
	out map[string]map[string]bool
}

// LoggedOut implements Store.
func (m *MemStore) LoggedOut(_ context.Context, group string) (map[string]bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]bool{}
	for k := range m.out[group] {
		out[k] = true
	}
	return out, nil
}

// SetLoggedOut implements Store.
func (m *MemStore) SetLoggedOut(_ context.Context, group, member string, out bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.out == nil {
		m.out = map[string]map[string]bool{}
	}
	if m.out[group] == nil {
		m.out[group] = map[string]bool{}
	}
	if out {
		m.out[group][member] = true
	} else {
		delete(m.out[group], member)
	}
	return nil
}
