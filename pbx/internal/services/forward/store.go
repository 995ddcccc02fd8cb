package forward

import "context"

// Store keeps the forwards subscribers set from the phone. A forward set
// to "" is off: cleared from the phone, which beats a configured one.
type Store interface {
	// Get returns subscriber's forward of kind k (ok false: never set
	// from the phone, the configuration decides).
	Get(ctx context.Context, subscriber string, k Kind) (number string, ok bool, err error)
	// Put sets subscriber's forward of kind k to number ("" : off).
	Put(ctx context.Context, subscriber string, k Kind, number string) error
}

// MemStore is a Store in memory (tests, a PBX without a database).
type MemStore struct{ m map[[2]string]string }

// NewMemStore returns an empty MemStore.
func NewMemStore() *MemStore { return &MemStore{m: map[[2]string]string{}} }

// Get implements Store.
func (s *MemStore) Get(_ context.Context, subscriber string, k Kind) (string, bool, error) {
	n, ok := s.m[[2]string{subscriber, k.String()}]
	return n, ok, nil
}

// Put implements Store.
func (s *MemStore) Put(_ context.Context, subscriber string, k Kind, number string) error {
	s.m[[2]string{subscriber, k.String()}] = number
	return nil
}
