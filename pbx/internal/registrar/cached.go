package registrar

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// Cached is a write-through cache in front of a Store (normally an
// SQLStore): reads are served from memory, and every write goes to memory
// and to the backend under the AOR's lock, memory first. A write returns
// only once the backend committed it, so a binding that a 200
// acknowledged is committed and a restart reloads it; if the backend
// refuses the write, memory gets back what it held before. Routing sees a
// REGISTER as soon as the registrar accepted it, not only after its commit:
// the commit may wait for the group-commit window (store.WithCommitDelay),
// and a phone that reconnected and registered again must not be
// unreachable meanwhile.
//
// Writes for one AOR are serialised (striped locks) so memory and backend
// see them in the same order; writes for different AORs run concurrently,
// which lets the backend batch them into one commit. A stripe is held
// across its write's commit, so one stripe takes at most 1/commit_delay
// writes a second under load (at least, with WithGroupSize, until 32
// writes share a commit): 1,024 stripes keep that bound far above what the
// SQLite writer commits (with 64 stripes and a 10 ms window, a storm of
// 20,000 REGISTERs ran at 5,214 and 5,218/s; with 1,024 at 6,821 and
// 6,075/s).
type Cached struct {
	back  Store
	mem   *MemStore
	locks [1024]sync.Mutex
}

// NewCached loads every binding of back into memory.
func NewCached(ctx context.Context, back Store) (*Cached, error) {
	all, err := back.All(ctx)
	if err != nil {
		return nil, fmt.Errorf("load binding cache: %w", err)
	}
	c := &Cached{back: back, mem: NewMemStore()}
	_ = c.mem.Put(ctx, all...) // MemStore never fails
	return c, nil
}

// lock locks the stripes of aors in index order and returns the unlock.
func (c *Cached) lock(aors ...string) func() {
	var room [4]int // a REGISTER writes one AOR: no allocation for the indexes
	idx := room[:0]
	for _, a := range aors {
		i := int(stripe(a) % uint32(len(c.locks)))
		if !slices.Contains(idx, i) {
			idx = append(idx, i)
		}
	}
	slices.Sort(idx)
	for _, i := range idx {
		c.locks[i].Lock()
	}
	return func() {
		for _, i := range idx {
			c.locks[i].Unlock()
		}
	}
}

// stripe is the 32-bit FNV-1a hash of aor (hash/fnv's, without its
// allocations).
func stripe(aor string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(aor); i++ {
		h ^= uint32(aor[i])
		h *= 16777619
	}
	return h
}

// Put implements Store.
func (c *Cached) Put(ctx context.Context, bs ...Binding) error {
	var room [1]string
	aors := room[:0]
	for _, b := range bs {
		if !slices.Contains(aors, b.AOR) {
			aors = append(aors, b.AOR)
		}
	}
	defer c.lock(aors...)()
	undo := c.save(ctx, aors)
	_ = c.mem.Put(ctx, bs...) // MemStore never fails
	if err := c.back.Put(ctx, bs...); err != nil {
		c.restore(ctx, undo)
		return err
	}
	return nil
}

// Delete implements Store.
func (c *Cached) Delete(ctx context.Context, aor string, contacts ...string) error {
	defer c.lock(aor)()
	undo := c.save(ctx, []string{aor})
	_ = c.mem.Delete(ctx, aor, contacts...)
	if err := c.back.Delete(ctx, aor, contacts...); err != nil {
		c.restore(ctx, undo)
		return err
	}
	return nil
}

// DeleteAOR implements Store.
func (c *Cached) DeleteAOR(ctx context.Context, aor string) error {
	defer c.lock(aor)()
	undo := c.save(ctx, []string{aor})
	_ = c.mem.DeleteAOR(ctx, aor)
	if err := c.back.DeleteAOR(ctx, aor); err != nil {
		c.restore(ctx, undo)
		return err
	}
	return nil
}

// saved is what memory held for an AOR before a write.
type saved struct {
	aor string
	bs  []Binding
}

// save copies memory's bindings of aors (their stripes locked).
func (c *Cached) save(ctx context.Context, aors []string) []saved {
	out := make([]saved, 0, len(aors))
	for _, a := range aors {
		bs, _ := c.mem.Lookup(ctx, a)
		out = append(out, saved{aor: a, bs: bs})
	}
	return out
}

// restore puts back what save copied: the backend refused the write.
func (c *Cached) restore(ctx context.Context, undo []saved) {
	for _, u := range undo {
		_ = c.mem.DeleteAOR(ctx, u.aor)
		_ = c.mem.Put(ctx, u.bs...)
	}
}

// expiredDeleter is a backend that deletes given expired bindings (SQLStore).
type expiredDeleter interface {
	DeleteExpired(ctx context.Context, now time.Time, bs []Binding) (int, error)
}

// Purge implements Store. It needs no lock: a binding refreshed meanwhile
// has an Expires after now and survives in both places. Memory holds what
// the backend holds (NewCached loaded it, every write goes to both), so a
// backend that can delete given bindings deletes those memory found
// expired, by key, instead of searching its table.
func (c *Cached) Purge(ctx context.Context, now time.Time) (int, error) {
	var n int
	var err error
	if d, ok := c.back.(expiredDeleter); ok {
		if expired := c.mem.Expired(now); len(expired) > 0 {
			n, err = d.DeleteExpired(ctx, now, expired)
		}
	} else {
		n, err = c.back.Purge(ctx, now)
	}
	if err != nil {
		return 0, err
	}
	_, _ = c.mem.Purge(ctx, now)
	return n, nil
}

// Lookup implements Store, from memory.
func (c *Cached) Lookup(ctx context.Context, aor string) ([]Binding, error) {
	return c.mem.Lookup(ctx, aor)
}

// All implements Store, from memory.
func (c *Cached) All(ctx context.Context) ([]Binding, error) { return c.mem.All(ctx) }

// CountLive returns the number of bindings unexpired at now, from memory.
func (c *Cached) CountLive(now time.Time) int { return c.mem.CountLive(now) }
