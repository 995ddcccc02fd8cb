package conform

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// FuzzParseProfile: a profile is a user's file. Whatever the bytes, the
// loader does not panic, every error is a ProfileError, and an accepted
// profile keeps its promises: a known kind whose capabilities it offers,
// at least two subscribers, each with a password, no number twice.
func FuzzParseProfile(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("targets", "*.yaml"))
	for _, file := range files {
		if b, err := os.ReadFile(file); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(goodProfile))
	f.Add([]byte(proxyProfile))
	f.Add([]byte("name: a\nkind: pbx\nsubscribers: [{number: '1', password: x}, {number: '1', password: y}]\n"))
	f.Add([]byte("a: &a [*a]\n"))
	f.Add([]byte("name: [\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParseProfile("fuzz.yaml", data)
		if err != nil {
			if !errors.Is(err, ErrProfile) {
				t.Fatalf("error %v is not a ProfileError", err)
			}
			return
		}
		kind, ok := KindByName(p.Kind)
		if !ok {
			t.Fatalf("accepted kind %q", p.Kind)
		}
		for _, c := range kind.Requires {
			if !p.Offers(c) {
				t.Fatalf("kind %s accepted without %s", p.Kind, c)
			}
		}
		nums := p.Numbers()
		if len(nums) < MinSubscribers || len(nums) > MaxSubscribers {
			t.Fatalf("%d subscribers accepted", len(nums))
		}
		sorted := slices.Clone(nums)
		slices.Sort(sorted)
		if len(slices.Compact(sorted)) != len(nums) {
			t.Fatal("a number is defined twice")
		}
		for _, n := range nums[:min(len(nums), 50)] {
			if p.Password(n) == "" {
				t.Fatalf("number %s has no password", n)
			}
		}
	})
}
