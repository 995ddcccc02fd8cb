package scenario

import (
	"fmt"
	"strconv"
	"strings"
)

// Shard is one of Count slices of a run, numbered from 0 (the index a
// Kubernetes indexed Job gives its pods, JOB_COMPLETION_INDEX). A shard
// owns a contiguous range of the population (Range) and places the calls
// of the plan whose caller it owns (NextIn); callees may be any phone of
// the population, registered by their own shard. The zero Shard (and any
// Count <= 1) is the whole run.
type Shard struct {
	Index int
	Count int
}

// MaxShards bounds the shard count (and keeps Range's arithmetic far from
// overflow).
const MaxShards = 1 << 16

// ParseShard parses "i/n" (0 <= i < n).
func ParseShard(s string) (Shard, error) {
	is, ns, ok := strings.Cut(s, "/")
	if !ok {
		return Shard{}, fmt.Errorf("shard %q: %w: want i/n", s, ErrInvalid)
	}
	i, err1 := strconv.Atoi(strings.TrimSpace(is))
	n, err2 := strconv.Atoi(strings.TrimSpace(ns))
	if err1 != nil || err2 != nil {
		return Shard{}, fmt.Errorf("shard %q: %w: want i/n, two integers", s, ErrInvalid)
	}
	sh := Shard{Index: i, Count: n}
	if err := sh.Validate(); err != nil || n < 1 {
		if err == nil {
			err = fmt.Errorf("shard %q: %w: want n >= 1", s, ErrInvalid)
		}
		return Shard{}, err
	}
	return sh, nil
}

// Validate checks 0 <= Index < Count (the zero Shard is valid: the whole run).
func (s Shard) Validate() error {
	if s == (Shard{}) {
		return nil
	}
	if s.Count < 1 || s.Index < 0 || s.Index >= s.Count {
		return fmt.Errorf("shard %d/%d: %w: want 0 <= i < n", s.Index, s.Count, ErrInvalid)
	}
	if s.Count > MaxShards {
		return fmt.Errorf("shard %d/%d: %w: at most %d shards", s.Index, s.Count, ErrInvalid, MaxShards)
	}
	return nil
}

// Whole reports whether the shard is the whole run.
func (s Shard) Whole() bool { return s.Count <= 1 }

// String is "i/n".
func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.Index, max(s.Count, 1)) }

// Range is the shard's slice [lo, hi) of a population of n phones
// (population indexes, i.e. number order): contiguous, the sizes of the
// shards differing by one at most.
func (s Shard) Range(n int) (lo, hi int) {
	if s.Whole() {
		return 0, n
	}
	return s.Index * n / s.Count, (s.Index + 1) * n / s.Count
}

// Owns reports whether population index idx (of n phones) is the shard's.
func (s Shard) Owns(n, idx int) bool {
	lo, hi := s.Range(n)
	return idx >= lo && idx < hi
}

// MaxConcurrent is the shard's part of a run's cap on calls in progress:
// ceil(max/Count), so the shards together cap about as the whole run does.
func (s Shard) MaxConcurrent(maxConcurrent int) int {
	if s.Whole() {
		return maxConcurrent
	}
	return (maxConcurrent + s.Count - 1) / s.Count
}

// NextIn returns the next call of the plan whose caller is one of the
// shard's phones, false once the calling window is over. The plan is
// drawn whole (the other shards' calls are drawn and dropped), so the
// calls of the shards together are exactly the plan's.
func (p *Plan) NextIn(s Shard) (PlannedCall, bool) {
	for {
		c, ok := p.Next()
		if !ok || s.Owns(len(p.Phones), c.Caller) {
			return c, ok
		}
	}
}
