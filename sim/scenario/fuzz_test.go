package scenario

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func FuzzParse(f *testing.F) {
	f.Add([]byte(valid))
	f.Add([]byte("name: x\npopulation: {count: 2}\n"))
	f.Add([]byte("a: &a [*a]\n"))
	files, _ := filepath.Glob(filepath.Join("..", "..", "scenarios", "*.yaml"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sc, err := Parse("fuzz.yaml", data)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not match ErrInvalid", err)
			}
			return
		}
		if sc.Behaviours.Total() != 100 || sc.Population.Count < 1 {
			t.Fatalf("accepted an invalid scenario: %+v", sc)
		}
		if len(sc.Population.Numbers()) != sc.Population.Count {
			t.Fatalf("Numbers() length %d != count %d", len(sc.Population.Numbers()), sc.Population.Count)
		}
	})
}
