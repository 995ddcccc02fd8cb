// Package registrar is pbxlab's registrar and location service (RFC 3261
// §10.3) with RFC 3581 source-address tracking: Handle answers REGISTER,
// Lookup gives the B2BUA the current contacts of an AOR.
package registrar

import (
	"context"
	"fmt"
	"hash/fnv"
	"log/slog"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/clock"
	"pbxlab/pbx/internal/digestauth"
)

// Registrar handles REGISTER requests and answers location lookups.
type Registrar struct {
	store      Store
	auth       *digestauth.Auth
	clock      clock.Clock
	log        *slog.Logger
	minExpires time.Duration
	maxExpires time.Duration
	defExpires time.Duration
	purgeEvery time.Duration
	realm      string
	realmFor   func(aor string) string
	aorExists  func(aor string) bool
	static     map[string][]Binding
	staticErr  error

	locks [1024]sync.Mutex // per-AOR serialisation of REGISTER processing, held across the commit (see Cached)

	stop     chan struct{}
	stopOnce sync.Once
}

// Option configures a Registrar.
type Option func(*Registrar)

// WithClock sets the time source (default: wall clock).
func WithClock(c clock.Clock) Option { return func(r *Registrar) { r.clock = c } }

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(r *Registrar) { r.log = l } }

// WithMinExpires sets the shortest registration accepted; shorter non-zero
// requests get 423 Interval Too Brief with Min-Expires (default 60s).
func WithMinExpires(d time.Duration) Option { return func(r *Registrar) { r.minExpires = d } }

// WithMaxExpires caps registrations (default 3600s).
func WithMaxExpires(d time.Duration) Option { return func(r *Registrar) { r.maxExpires = d } }

// WithDefaultExpires is used when neither the contact nor the request says
// (or says something unparsable) (default 3600s).
func WithDefaultExpires(d time.Duration) Option { return func(r *Registrar) { r.defExpires = d } }

// WithPurgeInterval sets how often Run removes expired bindings (default 30s).
func WithPurgeInterval(d time.Duration) Option { return func(r *Registrar) { r.purgeEvery = d } }

// WithRealm sets the digest realm REGISTERs must authenticate in (default:
// the Auth's first realm). Credentials of another realm are re-challenged.
func WithRealm(realm string) Option { return func(r *Registrar) { r.realm = realm } }

// WithRealmFor names the realm each AOR authenticates in (its subscriber's
// realm); "" falls back to WithRealm's.
func WithRealmFor(f func(aor string) string) Option { return func(r *Registrar) { r.realmFor = f } }

// realmOf is the realm aor's REGISTERs are challenged in.
func (r *Registrar) realmOf(aor string) string {
	if r.realmFor != nil {
		if realm := r.realmFor(aor); realm != "" {
			return realm
		}
	}
	return r.realm
}

// WithAORExists makes REGISTERs for AORs it rejects fail with 404. It gets
// the canonical AOR (CanonicalUser of the To user).
func WithAORExists(f func(aor string) bool) Option { return func(r *Registrar) { r.aorExists = f } }

// WithStatic adds configured bindings for aor: they never expire, are
// returned by Lookup (after registered contacts of equal q), are not stored,
// and REGISTER can neither list nor remove them. Each contact must be a SIP
// or SIPS URI; its transport parameter (default udp) becomes Transport.
func WithStatic(aor string, contacts ...string) Option {
	return func(r *Registrar) {
		aor = CanonicalUser(aor)
		for _, c := range contacts {
			var u sip.Uri
			if err := sip.ParseUri(c, &u); err != nil || (u.Scheme != "sip" && u.Scheme != "sips") {
				r.staticErr = fmt.Errorf("static contact %q of %s: %w", c, aor, ErrBadContact)
				return
			}
			r.static[aor] = append(r.static[aor], Binding{
				AOR: aor, Contact: u.String(), Transport: transportOf(&u), Q: 1, Static: true,
			})
		}
	}
}

// New returns a Registrar on store. auth nil disables authentication
// (every REGISTER is accepted for its To AOR; Authorization is ignored).
func New(store Store, auth *digestauth.Auth, opts ...Option) (*Registrar, error) {
	r := &Registrar{
		store:      store,
		auth:       auth,
		clock:      clock.New(),
		log:        slog.New(slog.DiscardHandler),
		minExpires: 60 * time.Second,
		maxExpires: 3600 * time.Second,
		defExpires: 3600 * time.Second,
		purgeEvery: 30 * time.Second,
		static:     map[string][]Binding{},
		stop:       make(chan struct{}),
	}
	for _, o := range opts {
		o(r)
	}
	switch {
	case r.staticErr != nil:
		return nil, fmt.Errorf("new registrar: %w", r.staticErr)
	case store == nil:
		return nil, fmt.Errorf("new registrar: %w: no store", ErrConfig)
	case r.minExpires < time.Second || r.maxExpires < r.minExpires ||
		r.defExpires < r.minExpires || r.defExpires > r.maxExpires:
		return nil, fmt.Errorf("new registrar: %w: need 1s <= min %s <= default %s <= max %s",
			ErrConfig, r.minExpires, r.defExpires, r.maxExpires)
	case r.purgeEvery <= 0:
		return nil, fmt.Errorf("new registrar: %w: purge interval %s", ErrConfig, r.purgeEvery)
	}
	if auth != nil && r.realm == "" {
		r.realm = auth.Realms()[0]
	}
	return r, nil
}

// Lookup returns the live bindings of aor (canonicalised with
// CanonicalUser): unexpired registered ones and static ones, sorted by q
// descending, then most recently registered first. Use Binding.Target to
// address each.
func (r *Registrar) Lookup(ctx context.Context, aor string) ([]Binding, error) {
	aor = CanonicalUser(aor)
	stored, err := r.store.Lookup(ctx, aor)
	if err != nil {
		return nil, fmt.Errorf("lookup %s: %w", aor, err)
	}
	now := r.clock.Now()
	out := make([]Binding, 0, len(stored)+len(r.static[aor]))
	for _, b := range stored {
		if b.live(now) {
			out = append(out, b)
		}
	}
	out = append(out, r.static[aor]...)
	sortBindings(out)
	return out, nil
}

// Remove drops every registered binding of aor (a subscriber deleted at
// run time). Under the AOR's lock, so a REGISTER being processed either
// completes before it or sees WithAORExists' refusal after it.
func (r *Registrar) Remove(ctx context.Context, aor string) error {
	aor = CanonicalUser(aor)
	defer r.lockAOR(aor)()
	if err := r.store.DeleteAOR(ctx, aor); err != nil {
		return fmt.Errorf("remove %s: %w", aor, err)
	}
	return nil
}

// Bindings returns the number of registered bindings that have not
// expired, every AOR together (static contacts from the configuration are
// not counted). It is cheap when the Store counts in memory (MemStore,
// Cached) and reads every binding otherwise.
func (r *Registrar) Bindings(ctx context.Context) (int, error) {
	now := r.clock.Now()
	if c, ok := r.store.(interface{ CountLive(time.Time) int }); ok {
		return c.CountLive(now), nil
	}
	all, err := r.store.All(ctx)
	if err != nil {
		return 0, fmt.Errorf("count bindings: %w", err)
	}
	n := 0
	for _, b := range all {
		if b.live(now) {
			n++
		}
	}
	return n, nil
}

// Live returns every registered binding that has not expired (static
// contacts from the configuration not included).
func (r *Registrar) Live(ctx context.Context) ([]Binding, error) {
	all, err := r.store.All(ctx)
	if err != nil {
		return nil, fmt.Errorf("list bindings: %w", err)
	}
	now := r.clock.Now()
	out := all[:0]
	for _, b := range all {
		if b.live(now) {
			out = append(out, b)
		}
	}
	return out, nil
}

// Run purges expired bindings every purge interval until ctx ends or Close
// is called. It returns nil.
func (r *Registrar) Run(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-r.stop:
			return nil
		case <-r.clock.After(r.purgeEvery):
		}
		n, err := r.store.Purge(ctx, r.clock.Now())
		switch {
		case err != nil:
			r.log.Warn("purge expired bindings", "error", err)
		case n > 0:
			r.log.Debug("purged expired bindings", "count", n)
		}
	}
}

// Close stops Run. It does not close the Store, which stays the caller's.
func (r *Registrar) Close() error {
	r.stopOnce.Do(func() { close(r.stop) })
	return nil
}

func (r *Registrar) lockAOR(aor string) func() {
	h := fnv.New32a()
	h.Write([]byte(aor))
	mu := &r.locks[h.Sum32()%uint32(len(r.locks))]
	mu.Lock()
	return mu.Unlock
}
