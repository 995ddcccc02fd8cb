package pbx

import (
	"slices"
	"testing"
)

func TestSmallMap(t *testing.T) {
	var none *smallMap[int]
	if _, ok := none.get("a"); ok || none.del("a") || none.keys() != nil || none.len() != 0 {
		t.Fatal("the nil smallMap is not empty")
	}
	m := &smallMap[int]{}
	m.put("a", 1)
	m.put("b", 2)
	m.put("a", 3)
	if v, ok := m.get("a"); !ok || v != 3 {
		t.Fatalf("get a = %d %v, want 3 (overwritten)", v, ok)
	}
	if got := m.keys(); !slices.Equal(got, []string{"a", "b"}) || m.len() != 2 {
		t.Fatalf("keys %q len %d, want [a b] 2", got, m.len())
	}
	for _, k := range m.keys() { // deleting while ranging over keys
		if !m.del(k) {
			t.Fatalf("del %s: not there", k)
		}
	}
	if m.del("a") || m.len() != 0 {
		t.Fatalf("after deleting everything: len %d", m.len())
	}
	if _, ok := m.get("b"); ok {
		t.Fatal("b still there")
	}
}
