package scenario

import (
	"errors"
	"reflect"
	"testing"
)

func TestParseShard(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Shard
		ok   bool
	}{
		{"0/1", Shard{0, 1}, true},
		{"2/4", Shard{2, 4}, true},
		{" 3 / 4 ", Shard{3, 4}, true},
		{"4/4", Shard{}, false},
		{"-1/4", Shard{}, false},
		{"0/0", Shard{}, false},
		{"1", Shard{}, false},
		{"a/b", Shard{}, false},
		{"", Shard{}, false},
		{"65535/65536", Shard{65535, 65536}, true},
		{"65536/65537", Shard{}, false},
		{"9223372036854775806/9223372036854775807", Shard{}, false},
	} {
		got, err := ParseShard(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseShard(%q) = %v, %v; want %v ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
		if err != nil && !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseShard(%q) error %v does not wrap ErrInvalid", tc.in, err)
		}
	}
}

// TestShardRangesPartition: the shards' ranges cover the population once,
// in order, their sizes differing by one at most.
func TestShardRangesPartition(t *testing.T) {
	for _, pop := range []int{1, 2, 7, 10, 1000, 1001} {
		for n := 1; n <= 8; n++ {
			next, small, big := 0, pop, 0
			for i := range n {
				lo, hi := Shard{i, n}.Range(pop)
				if lo != next || hi < lo {
					t.Fatalf("pop %d shard %d/%d: range [%d,%d) after %d", pop, i, n, lo, hi, next)
				}
				next = hi
				small, big = min(small, hi-lo), max(big, hi-lo)
			}
			if next != pop || big-small > 1 {
				t.Errorf("pop %d in %d shards: covered %d, sizes %d..%d", pop, n, next, small, big)
			}
		}
	}
}

// TestShardPlansUnionIsThePlan: with the same seed, the calls of n shard
// plans together are exactly the unsharded plan's calls (same order by
// Seq, same fields), and each shard's callers are its own phones.
func TestShardPlansUnionIsThePlan(t *testing.T) {
	for _, doc := range []string{busyHour, `name: small
population: {count: 10, first: "100", password: "pw{n}"}
behaviours: {answer: 70, busy: 10, no_answer: 10, reject: 10}
calls: {rate: 20, hold: 1s, duration: 30s, pattern: random}
audio: {verify: true, share: 0.5}
seed: 5
`} {
		sc := mustParse(t, doc)
		full := NewPlan(sc, sc.Seed).Take(5000)
		if len(full) == 0 {
			t.Fatal("empty plan")
		}
		for _, n := range []int{1, 2, 3, 7} {
			union := make([]PlannedCall, len(full))
			got := 0
			for i := range n {
				sh := Shard{i, n}
				p := NewPlan(sc, sc.Seed)
				if !reflect.DeepEqual(p.Phones, NewPlan(sc, sc.Seed).Phones) {
					t.Fatal("phones differ")
				}
				for {
					c, ok := p.NextIn(sh)
					if !ok || c.Seq >= len(full) {
						break
					}
					if !sh.Owns(len(p.Phones), c.Caller) {
						t.Fatalf("shard %v placed call %d of caller %d", sh, c.Seq, c.Caller)
					}
					if !reflect.DeepEqual(union[c.Seq], PlannedCall{}) {
						t.Fatalf("call %d in two shards", c.Seq)
					}
					union[c.Seq] = c
					got++
				}
			}
			if got != len(full) || !reflect.DeepEqual(union, full) {
				t.Errorf("%s in %d shards: %d calls, union equal %v; want the %d calls of the plan",
					sc.Name, n, got, reflect.DeepEqual(union, full), len(full))
			}
		}
	}
}

// FuzzParseShard: any --shard value parses to a valid shard or fails with
// ErrInvalid, and a parsed shard's range lies within the population.
func FuzzParseShard(f *testing.F) {
	for _, s := range []string{"0/1", "3/4", "4/4", "-1/2", "1/0", "x", "", "9223372036854775807/9223372036854775807", "9223372036854775806/9223372036854775807", "1/ 2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sh, err := ParseShard(s)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("ParseShard(%q): %v without ErrInvalid", s, err)
			}
			return
		}
		if sh.Index < 0 || sh.Index >= sh.Count {
			t.Fatalf("ParseShard(%q) = %v", s, sh)
		}
		for _, n := range []int{0, 1, 1000, 10_000_000} {
			if lo, hi := sh.Range(n); lo < 0 || hi > n || lo > hi {
				t.Fatalf("shard %v of %d: [%d,%d)", sh, n, lo, hi)
			}
		}
	})
}
