package services

import (
	"sort"
	"strings"
)

// Numbers is a set of numbers: exact numbers and number prefixes.
type Numbers struct {
	exact    map[string]bool
	prefixes []string
}

// NewNumbers builds the set.
func NewNumbers(exact, prefixes []string) Numbers {
	n := Numbers{exact: make(map[string]bool, len(exact)), prefixes: append([]string(nil), prefixes...)}
	for _, e := range exact {
		n.exact[e] = true
	}
	return n
}

// Has reports whether number is in the set and how closely: 1+32 for an
// exact number, 1+len(prefix) for the longest matching prefix, 0 when it
// is not in the set.
func (n Numbers) Has(number string) int {
	if n.exact[number] {
		return 1 + 32
	}
	best := 0
	for _, p := range n.prefixes {
		if strings.HasPrefix(number, p) && 1+len(p) > best {
			best = 1 + len(p)
		}
	}
	return best
}

// Assign gives numbers a name (a role, a class): an exact number beats a
// prefix, the longest prefix beats shorter ones.
type Assign struct {
	exact    map[string]string
	prefixes []named // longest first
}

type named struct{ prefix, name string }

// Add assigns name to the exact numbers and to the numbers starting with
// the prefixes; a later Add of the same number or prefix wins.
func (a *Assign) Add(name string, exact, prefixes []string) {
	if a.exact == nil {
		a.exact = map[string]string{}
	}
	for _, e := range exact {
		a.exact[e] = name
	}
	for _, p := range prefixes {
		a.prefixes = append(a.prefixes, named{p, name})
	}
	sort.SliceStable(a.prefixes, func(i, j int) bool { return len(a.prefixes[i].prefix) > len(a.prefixes[j].prefix) })
}

// Lookup returns the name of number.
func (a *Assign) Lookup(number string) (string, bool) {
	if n, ok := a.exact[number]; ok {
		return n, true
	}
	for _, p := range a.prefixes {
		if strings.HasPrefix(number, p.prefix) {
			return p.name, true
		}
	}
	return "", false
}
