package secretary

import (
	"context"
	"sync"
)

// Store keeps the filtering settings bosses set from the phone.
type Store interface {
	// Get returns boss's setting (ok false: never set from the phone,
	// the configuration decides).
	Get(ctx context.Context, boss string) (on, ok bool, err error)
	// Put sets boss's setting.
	Put(ctx context.Context, boss string, on bool) error
}

// MemStore is a Store in memory (tests).
type MemStore struct {
	mu sync.Mutex
	m  map[string]bool
}

// NewMemStore returns an empty MemStore.
func NewMemStore() *MemStore { return &MemStore{m: map[string]bool{}} }

// Get implements Store.
func (s *MemStore) Get(_ context.Context, boss string) (bool, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	on, ok := s.m[boss]
	return on, ok, nil
}

// Put implements Store.
func (s *MemStore) Put(_ context.Context, boss string, on bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[boss] = on
	return nil
}
