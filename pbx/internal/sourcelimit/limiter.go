// Package sourcelimit keeps one source address from taking the PBX for
// itself: each source IP gets a token bucket of SIP messages (and TCP
// connections); a source that empties its bucket is blocked for a while,
// and everything it sends meanwhile is dropped unread, before sipgo parses
// it, without an answer (an answer would feed the flood). This is what
// Kamailio's pike module does for a proxy.
//
// The PBX's sockets ask the Limiter before they hand a datagram or a TCP
// read to sipgo (pbx/internal/sipx): Allow for each message, Open and
// Closed for each TCP connection. The digest check reports each refused
// credential (a wrong password or an unknown user) to Fail: a source that
// guesses more than AuthFailures times within BlockFor is blocked too, as
// fail2ban does for a PBX's log.
package sourcelimit

import (
	"hash/maphash"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Config sets the limits. With Rate, Connections and AuthFailures all 0
// the limiter is off (New returns nil, and a nil *Limiter allows
// everything).
type Config struct {
	// Rate is the messages per second one source IP may send, sustained;
	// 0 = no rate limit.
	Rate float64
	// Burst is how many messages a source may send at once above Rate (the
	// bucket's size). Default 4 × Rate, at least 1.
	Burst float64
	// BlockFor is how long a source that emptied its bucket is ignored.
	// Default 60 s.
	BlockFor time.Duration
	// Connections bounds the TCP connections open at once from one source
	// IP; 0 = no bound.
	Connections int
	// AuthFailures is how many refused credentials (Fail) a source may
	// have within BlockFor before it is blocked; 0 = no bound. It is a
	// bucket of AuthFailures refilled over BlockFor.
	AuthFailures int
	// Exempt are never limited (trusted peers, a carrier, a NATed office).
	Exempt []netip.Prefix
	// MaxSources bounds the sources tracked at once (the memory a flood
	// from spoofed addresses may take, ~150 B each). A new source beyond it
	// is let through untracked and counted (Stats.Untracked). Default
	// 262,144.
	MaxSources int
	// OnBlock is called, outside the limiter's locks, when a source becomes
	// blocked (to log it), with why: ReasonRate or ReasonAuthFailures. It
	// must not block.
	OnBlock func(src netip.Addr, until time.Time, reason string)
	// Now is the clock (tests); default time.Now.
	Now func() time.Time
}

// Defaults of Config.
const (
	DefaultBlockFor   = 60 * time.Second
	DefaultMaxSources = 1 << 18
	burstPerRate      = 4
)

// Why a source was blocked (Config.OnBlock).
const (
	ReasonRate         = "rate"          // it sent more than Rate allows
	ReasonAuthFailures = "auth_failures" // more than AuthFailures refused credentials
)

// idleAfter is how long a source's entry is kept after its bucket filled
// up again, with nothing blocked or open: it is then dropped by the sweep.
const idleAfter = 10 * time.Second

// nShards spreads the sources over this many locks.
const nShards = 64

// Limiter tracks the sources. Its methods are safe for concurrent use; a
// nil *Limiter allows everything.
type Limiter struct {
	rate, burst float64
	blockFor    time.Duration
	conns       int
	fails       float64 // AuthFailures
	failRate    float64 // fails refilled per nanosecond
	exempt      []netip.Prefix
	maxPerShard int
	onBlock     func(netip.Addr, time.Time, string)
	now         func() time.Time
	epoch       time.Time // times are kept as nanoseconds since epoch
	seed        maphash.Seed

	shards [nShards]shard

	dropped   atomic.Uint64 // messages and connections refused
	blocks    atomic.Uint64 // times a source became blocked
	untracked atomic.Uint64 // messages of sources beyond MaxSources
}

type shard struct {
	mu        sync.Mutex
	m         map[netip.Addr]*entry
	nextSweep int64
	_         [32]byte // keep shards' locks on separate cache lines
}

// entry is one source's state.
type entry struct {
	tokens       float64
	last         int64   // when tokens was last refilled
	fails        float64 // refused credentials still allowed (bucket of AuthFailures)
	lastFail     int64   // when fails was last refilled
	blockedUntil int64   // 0: not blocked
	open         int     // TCP connections open
}

// New returns a Limiter for cfg, or nil when it limits nothing.
func New(cfg Config) *Limiter {
	if cfg.Rate <= 0 && cfg.Connections <= 0 && cfg.AuthFailures <= 0 {
		return nil
	}
	l := &Limiter{rate: max(0, cfg.Rate), burst: cfg.Burst, blockFor: cfg.BlockFor, conns: max(0, cfg.Connections),
		fails: float64(max(0, cfg.AuthFailures)), exempt: cfg.Exempt, onBlock: cfg.OnBlock, now: cfg.Now, seed: maphash.MakeSeed()}
	if l.burst <= 0 {
		l.burst = max(1, burstPerRate*l.rate)
	}
	if l.blockFor <= 0 {
		l.blockFor = DefaultBlockFor
	}
	l.failRate = l.fails / float64(l.blockFor)
	maxSources := cfg.MaxSources
	if maxSources <= 0 {
		maxSources = DefaultMaxSources
	}
	l.maxPerShard = max(1, maxSources/nShards)
	if l.now == nil {
		l.now = time.Now
	}
	l.epoch = l.now()
	for i := range l.shards {
		l.shards[i].m = map[netip.Addr]*entry{}
	}
	return l
}

// Allow reports whether a message from src may be read: it takes a token
// from src's bucket, and blocks src when there is none.
func (l *Limiter) Allow(src netip.Addr) bool {
	if l == nil {
		return true
	}
	return l.take(src, false)
}

// Open reports whether a TCP connection from src may be served: it takes
// a token like a message and a connection slot; a connection allowed must
// be reported to Closed when it ends.
func (l *Limiter) Open(src netip.Addr) bool {
	if l == nil {
		return true
	}
	return l.take(src, true)
}

// Closed releases the connection slot Open took for src.
func (l *Limiter) Closed(src netip.Addr) {
	if l == nil || l.isExempt(src) {
		return
	}
	sh, e, _ := l.lookup(src)
	if e != nil && e.open > 0 {
		e.open--
	}
	sh.mu.Unlock()
}

// Blocked reports whether src is blocked now.
func (l *Limiter) Blocked(src netip.Addr) bool {
	if l == nil {
		return false
	}
	sh, e, now := l.lookup(src)
	defer sh.mu.Unlock()
	return e != nil && e.blockedUntil > now
}

// lookup locks src's shard and returns it with src's entry (nil if none)
// and the time now; the caller unlocks.
func (l *Limiter) lookup(src netip.Addr) (*shard, *entry, int64) {
	src = src.Unmap()
	now := l.nanos()
	sh := l.shard(src)
	sh.mu.Lock()
	return sh, sh.m[src], now
}

func (l *Limiter) take(src netip.Addr, conn bool) bool {
	src = src.Unmap()
	if l.isExempt(src) {
		return true
	}
	now := l.nanos()
	sh := l.shard(src)
	sh.mu.Lock()
	if l.rate == 0 && !conn { // only blocks to check: no entry needed
		e := sh.m[src]
		blocked := e != nil && e.blockedUntil > now
		sh.mu.Unlock()
		if blocked {
			l.dropped.Add(1)
		}
		return !blocked
	}
	e, ok := sh.get(src, now, l)
	if !ok {
		sh.mu.Unlock()
		l.untracked.Add(1)
		return true
	}
	if e.blockedUntil > now {
		sh.mu.Unlock()
		l.dropped.Add(1)
		return false
	}
	e.blockedUntil = 0
	if l.rate > 0 {
		e.tokens = min(l.burst, e.tokens+l.rate*float64(now-e.last)/float64(time.Second))
		e.last = now
		if e.tokens < 1 { // over the rate: blocked
			l.block(sh, e, src, now, ReasonRate)
			return false
		}
	}
	if conn && l.conns > 0 && e.open >= l.conns { // over the connection bound: only refused
		sh.mu.Unlock()
		l.dropped.Add(1)
		return false
	}
	if l.rate > 0 {
		e.tokens--
	}
	if conn {
		e.open++
	}
	sh.mu.Unlock()
	return true
}

// Fail reports a refused credential from src (a wrong password, an unknown
// user): a source with more than AuthFailures of them within BlockFor is
// blocked.
func (l *Limiter) Fail(src netip.Addr) {
	if l == nil || l.fails == 0 {
		return
	}
	src = src.Unmap()
	if l.isExempt(src) {
		return
	}
	now := l.nanos()
	sh := l.shard(src)
	sh.mu.Lock()
	e, ok := sh.get(src, now, l)
	if !ok {
		sh.mu.Unlock()
		l.untracked.Add(1)
		return
	}
	e.fails = min(l.fails, e.fails+l.failRate*float64(now-e.lastFail))
	e.lastFail = now
	e.fails--
	if e.fails < 0 {
		e.fails = 0
		if e.blockedUntil <= now {
			l.block(sh, e, src, now, ReasonAuthFailures)
			return
		}
	}
	sh.mu.Unlock()
}

// block blocks e (src) from now for blockFor; called with sh.mu, which it
// releases.
func (l *Limiter) block(sh *shard, e *entry, src netip.Addr, now int64, reason string) {
	until := now + int64(l.blockFor)
	e.blockedUntil = until
	sh.mu.Unlock()
	l.dropped.Add(1)
	l.blocks.Add(1)
	if l.onBlock != nil {
		l.onBlock(src, l.epoch.Add(time.Duration(until)), reason)
	}
}

// get returns src's entry, made if needed; false when the shard is full.
// Called with mu; it sweeps the shard when due.
func (sh *shard) get(src netip.Addr, now int64, l *Limiter) (*entry, bool) {
	if now >= sh.nextSweep {
		sh.sweep(now, l)
	}
	e := sh.m[src]
	if e == nil {
		if len(sh.m) >= l.maxPerShard {
			return nil, false
		}
		e = &entry{tokens: l.burst, last: now, fails: l.fails, lastFail: now}
		sh.m[src] = e
	}
	return e, true
}

// sweep drops the entries with nothing to remember: not blocked, no
// connection open, both buckets full again for idleAfter. Called with mu.
func (sh *shard) sweep(now int64, l *Limiter) {
	for a, e := range sh.m {
		if e.blockedUntil > now || e.open > 0 {
			continue
		}
		full := e.last + int64(idleAfter)
		if l.rate > 0 {
			full += int64((l.burst - e.tokens) / l.rate * float64(time.Second))
		}
		if l.fails > 0 && e.fails < l.fails {
			full = max(full, e.lastFail+int64((l.fails-e.fails)/l.failRate)+int64(idleAfter))
		}
		if now > full {
			delete(sh.m, a)
		}
	}
	sh.nextSweep = now + int64(idleAfter)
}

func (l *Limiter) isExempt(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range l.exempt {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func (l *Limiter) shard(a netip.Addr) *shard {
	b := a.As16()
	return &l.shards[maphash.Bytes(l.seed, b[:])%nShards]
}

func (l *Limiter) nanos() int64 { return int64(l.now().Sub(l.epoch)) }

// Stats are the limiter's counters.
type Stats struct {
	Sources   int    // sources tracked now
	Blocked   int    // of them, blocked now
	Dropped   uint64 // messages and connections refused
	Blocks    uint64 // times a source became blocked
	Untracked uint64 // messages let through because MaxSources was reached
}

// Stats counts the sources (it takes every shard's lock in turn).
func (l *Limiter) Stats() Stats {
	if l == nil {
		return Stats{}
	}
	st := Stats{Dropped: l.dropped.Load(), Blocks: l.blocks.Load(), Untracked: l.untracked.Load()}
	now := l.nanos()
	for i := range l.shards {
		sh := &l.shards[i]
		sh.mu.Lock()
		st.Sources += len(sh.m)
		for _, e := range sh.m {
			if e.blockedUntil > now {
				st.Blocked++
			}
		}
		sh.mu.Unlock()
	}
	return st
}

// Block is a source blocked now, and until when.
type Block struct {
	Source netip.Addr
	Until  time.Time
}

// Blocks lists the sources blocked now, in address order.
func (l *Limiter) Blocks() []Block {
	if l == nil {
		return nil
	}
	now := l.nanos()
	var out []Block
	for i := range l.shards {
		sh := &l.shards[i]
		sh.mu.Lock()
		for a, e := range sh.m {
			if e.blockedUntil > now {
				out = append(out, Block{Source: a, Until: l.epoch.Add(time.Duration(e.blockedUntil))})
			}
		}
		sh.mu.Unlock()
	}
	slices.SortFunc(out, func(a, b Block) int { return a.Source.Compare(b.Source) })
	return out
}

// Unblock lifts src's block at once (an operator's decision) and fills
// its buckets again; it reports whether src was blocked.
func (l *Limiter) Unblock(src netip.Addr) bool {
	if l == nil {
		return false
	}
	sh, e, now := l.lookup(src)
	defer sh.mu.Unlock()
	if e == nil || e.blockedUntil <= now {
		return false
	}
	e.blockedUntil = 0
	e.tokens, e.last = l.burst, now
	e.fails, e.lastFail = l.fails, now
	return true
}
