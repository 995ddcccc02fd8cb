package dnd

import "context"

// Store keeps the DND settings subscribers set from the phone.
type Store interface {
	// Get returns subscriber's setting (ok false: never set from the
	// phone, the configuration decides).
	Get(ctx context.Context, subscriber string) (on, ok bool, err error)
	// Put sets subscriber's setting.
	Put(ctx context.Context, subscriber string, on bool) error
}

// MemStore is a Store in memory (tests).
type MemStore struct{ m map[string]bool }

// NewMemStore returns an empty MemStore.
func NewMemStore() *MemStore { return &MemStore{m: map[string]bool{}} }

// Get implements Store.
func (s *MemStore) Get(_ context.Context, subscriber string) (bool, bool, error) {
	on, ok := s.m[subscriber]
	return on, ok, nil
}

// Put implements Store.
func (s *MemStore) Put(_ context.Context, subscriber string, on bool) error {
	s.m[subscriber] = on
	return nil
}
