// Package directory is the PBX's run-time subscriber directory (the
// manual's Call Services ch. 2, subscriber management): the subscribers of
// the configuration (subscribers, subscriber_ranges) are the base, and
// subscribers added, suspended, resumed or deleted at run time are an
// overlay kept in a Store (SQLite, so a restart keeps them) and applied over
// the base at start.
//
// Reads (every call, every REGISTER, every digest check) take no lock: the
// overlay is an immutable map behind an atomic.Pointer, replaced whole
// (copy-on-write) by each change. Changes are rare and serialised; each is
// written to the Store before it is published, so an acknowledged change
// survives a crash of the PBX.
package directory

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"sync/atomic"

	"pbxlab/pbx/config"
)

// State is a subscriber's run-time state.
type State string

// States of a subscriber. Deleted is only ever a stored Record (a config
// subscriber deleted at run time); Lookup never returns it.
const (
	Active    State = "active"
	Suspended State = "suspended"
	Deleted   State = "deleted"
)

// Entry is a subscriber as the directory sees it.
type Entry struct {
	config.Subscriber
	// State is Active or Suspended.
	State State
	// Runtime is true for a subscriber added at run time (not, or no
	// longer, the configuration's).
	Runtime bool
}

// Record is one stored change over the base: the state of a number and,
// when Defined, the subscriber itself (added at run time; its fields are
// Number, Password, Realm, DisplayName and Device).
type Record struct {
	Number  string
	State   State
	Defined bool
	Sub     config.Subscriber
}

// Store keeps the Records. Put must be durable when it returns (see
// package store); Remove of a missing number is no error.
type Store interface {
	Load(ctx context.Context) ([]Record, error)
	Put(ctx context.Context, r Record) error
	Remove(ctx context.Context, number string) error
}

// Directory is the run-time subscriber directory. Its methods are safe for
// concurrent use.
type Directory struct {
	base  map[string]config.Subscriber
	store Store
	// overlay is the Records by number, immutable once published
	overlay atomic.Pointer[map[string]Record]
	mu      sync.Mutex // serialises changes
}

// New returns the directory of base (config.Config.Subscribers) with the
// Records of st applied over it. st nil keeps changes in memory only.
func New(ctx context.Context, base []config.Subscriber, st Store) (*Directory, error) {
	d := &Directory{base: make(map[string]config.Subscriber, len(base)), store: st}
	for _, s := range base {
		d.base[s.Number] = s
	}
	overlay := map[string]Record{}
	if st != nil {
		recs, err := st.Load(ctx)
		if err != nil {
			return nil, fmt.Errorf("load subscriber directory: %w", err)
		}
		for _, r := range recs {
			overlay[r.Number] = r
		}
	}
	d.overlay.Store(&overlay)
	return d, nil
}

// Lookup returns the subscriber of number, active or suspended.
func (d *Directory) Lookup(number string) (config.Subscriber, bool) {
	e, ok := d.Get(number)
	return e.Subscriber, ok
}

// Get returns the entry of number.
func (d *Directory) Get(number string) (Entry, bool) {
	r, over := (*d.overlay.Load())[number]
	base, inBase := d.base[number]
	switch {
	case !over:
		return Entry{Subscriber: base, State: Active}, inBase
	case r.State == Deleted:
		return Entry{}, false
	case r.Defined:
		return Entry{Subscriber: r.Sub, State: r.State, Runtime: true}, true
	case inBase:
		return Entry{Subscriber: base, State: r.State}, true
	}
	return Entry{}, false // a state stored for a number the configuration dropped
}

// Suspended reports whether number is a suspended subscriber.
func (d *Directory) Suspended(number string) bool {
	e, ok := d.Get(number)
	return ok && e.State == Suspended
}

// All returns every subscriber, sorted by number.
func (d *Directory) All() []Entry {
	overlay := *d.overlay.Load()
	out := make([]Entry, 0, len(d.base)+len(overlay))
	for n := range d.base {
		if e, ok := d.Get(n); ok {
			out = append(out, e)
		}
	}
	for n, r := range overlay {
		if _, inBase := d.base[n]; !inBase && r.Defined && r.State != Deleted {
			out = append(out, Entry{Subscriber: r.Sub, State: r.State, Runtime: true})
		}
	}
	slices.SortFunc(out, func(a, b Entry) int { return cmp.Compare(a.Number, b.Number) })
	return out
}

// Configured reports whether number is a subscriber of the base (the
// configuration), deleted or not.
func (d *Directory) Configured(number string) bool {
	_, ok := d.base[number]
	return ok
}

// Defined returns the subscribers added at run time (for the numbering
// plan), sorted by number.
func (d *Directory) Defined() []config.Subscriber {
	var out []config.Subscriber
	for _, r := range *d.overlay.Load() {
		if r.Defined && r.State != Deleted {
			out = append(out, r.Sub)
		}
	}
	slices.SortFunc(out, func(a, b config.Subscriber) int { return cmp.Compare(a.Number, b.Number) })
	return out
}

// Add adds sub (Number set, the rest already checked by the caller) as an
// active subscriber. check, when not nil, runs under the change lock with
// the directory as it will be and may refuse the change (e.g. a numbering
// plan that cannot take the number). ErrExists if the number is taken.
func (d *Directory) Add(ctx context.Context, sub config.Subscriber, check func(defined []config.Subscriber) error) (Entry, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.Get(sub.Number); ok {
		return Entry{}, fmt.Errorf("add subscriber %s: %w", sub.Number, ErrExists)
	}
	r := Record{Number: sub.Number, State: Active, Defined: true, Sub: sub}
	if check != nil {
		if err := check(append(d.Defined(), sub)); err != nil {
			return Entry{}, fmt.Errorf("add subscriber %s: %w", sub.Number, err)
		}
	}
	if err := d.put(ctx, r); err != nil {
		return Entry{}, fmt.Errorf("add subscriber %s: %w", sub.Number, err)
	}
	e, _ := d.Get(sub.Number)
	return e, nil
}

// Suspend suspends number: it keeps its registrations, its calls get the
// suspended prompt. Suspending a suspended subscriber changes nothing.
func (d *Directory) Suspend(ctx context.Context, number string) (Entry, error) {
	return d.setState(ctx, number, Suspended)
}

// Resume makes a suspended number active again.
func (d *Directory) Resume(ctx context.Context, number string) (Entry, error) {
	return d.setState(ctx, number, Active)
}

func (d *Directory) setState(ctx context.Context, number string, st State) (Entry, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	e, ok := d.Get(number)
	if !ok {
		return Entry{}, fmt.Errorf("%s subscriber %s: %w", verb(st), number, ErrNotFound)
	}
	if e.State == st {
		return e, nil
	}
	r := Record{Number: number, State: st, Defined: e.Runtime}
	if e.Runtime {
		r.Sub = e.Subscriber
	}
	if err := d.put(ctx, r); err != nil {
		return Entry{}, fmt.Errorf("%s subscriber %s: %w", verb(st), number, err)
	}
	e.State = st
	return e, nil
}

func verb(st State) string {
	if st == Suspended {
		return "suspend"
	}
	return "resume"
}

// Delete removes number: a configured one is remembered as deleted (so a
// restart does not bring it back), one added at run time is forgotten.
func (d *Directory) Delete(ctx context.Context, number string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.Get(number); !ok {
		return fmt.Errorf("delete subscriber %s: %w", number, ErrNotFound)
	}
	var err error
	if _, inBase := d.base[number]; inBase {
		err = d.put(ctx, Record{Number: number, State: Deleted})
	} else {
		err = d.remove(ctx, number)
	}
	if err != nil {
		return fmt.Errorf("delete subscriber %s: %w", number, err)
	}
	return nil
}

// put stores r, then publishes it. Called with mu held.
func (d *Directory) put(ctx context.Context, r Record) error {
	if d.store != nil {
		if err := d.store.Put(ctx, r); err != nil {
			return err
		}
	}
	next := maps.Clone(*d.overlay.Load())
	next[r.Number] = r
	d.overlay.Store(&next)
	return nil
}

// remove forgets number's Record. Called with mu held.
func (d *Directory) remove(ctx context.Context, number string) error {
	if d.store != nil {
		if err := d.store.Remove(ctx, number); err != nil {
			return err
		}
	}
	next := maps.Clone(*d.overlay.Load())
	delete(next, number)
	d.overlay.Store(&next)
	return nil
}
