package hotline

import (
	"context"
	"sync"
	"time"
)

// Setting is a hotline set from the phone: Number "" is off (cleared from
// the phone, which beats a configured line); Delay 0 is immediate.
type Setting struct {
	Number string
	Delay  time.Duration
}

// Store keeps the hotlines subscribers set from the phone.
type Store interface {
	// Get returns subscriber's setting (ok false: never set from the
	// phone, the configuration decides).
	Get(ctx context.Context, subscriber string) (st Setting, ok bool, err error)
	// Put stores subscriber's setting.
	Put(ctx context.Context, subscriber string, st Setting) error
}

// MemStore is a Store in memory (tests).
type MemStore struct {
	mu sync.Mutex
	m  map[string]Setting
}

// NewMemStore returns an empty MemStore.
func NewMemStore() *MemStore { return &MemStore{m: map[string]Setting{}} }

// Get implements Store.
func (s *MemStore) Get(_ context.Context, subscriber string) (Setting, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.m[subscriber]
	return st, ok, nil
}

// Put implements Store.
func (s *MemStore) Put(_ context.Context, subscriber string, st Setting) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[subscriber] = st
	return nil
}
