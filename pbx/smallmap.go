package pbx

// smallMap maps a handful of keys (the numbers in one call) to values: a
// slice in insertion order, a fraction of the smallest allocation of a Go
// map (a group of 8 slots), kept per call in progress (issue 14,
// BenchmarkHeldCalls). The nil *smallMap is empty.
type smallMap[V any] struct {
	e []smallEntry[V]
}

type smallEntry[V any] struct {
	k string
	v V
}

func (m *smallMap[V]) get(k string) (V, bool) {
	if m != nil {
		for _, e := range m.e {
			if e.k == k {
				return e.v, true
			}
		}
	}
	var zero V
	return zero, false
}

func (m *smallMap[V]) put(k string, v V) {
	for i := range m.e {
		if m.e[i].k == k {
			m.e[i].v = v
			return
		}
	}
	m.e = append(m.e, smallEntry[V]{k, v})
}

// del removes k and reports whether it was there.
func (m *smallMap[V]) del(k string) bool {
	if m == nil {
		return false
	}
	for i := range m.e {
		if m.e[i].k == k {
			m.e = append(m.e[:i], m.e[i+1:]...)
			return true
		}
	}
	return false
}

// keys returns a copy of the keys (callers may delete while ranging).
func (m *smallMap[V]) keys() []string {
	if m == nil {
		return nil
	}
	out := make([]string, 0, len(m.e))
	for _, e := range m.e {
		out = append(out, e.k)
	}
	return out
}

func (m *smallMap[V]) len() int {
	if m == nil {
		return 0
	}
	return len(m.e)
}
