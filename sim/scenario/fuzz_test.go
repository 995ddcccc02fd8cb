package scenario

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func FuzzParse(f *testing.F) {
	f.Add([]byte(valid))
	f.Add([]byte("name: x\npopulation: {count: 2}\n"))
	f.Add([]byte("a: &a [*a]\n"))
	f.Add([]byte(busyHour))
	f.Add([]byte(strings.Replace(busyHour, "pattern: local", "shape: spike, spike: {peak: 9, at: 1s, length: 1m}", 1)))
	f.Add([]byte(strings.Replace(busyHour, "pattern: local", "shape: ramp, ramp: {from: 3, to: 0.5, over: 10m}", 1)))
	f.Add([]byte(withImpairment(`{loss: "2%", delay: 40ms, jitter: 10ms, duplicate: 1, reorder: 5, nat: {rebind_after: 10m, binding_timeout: 30s}}`)))
	f.Add([]byte(withImpairment(`{loss: 5, applies_to: [media, signalling], reorder: 1}`)))
	f.Add([]byte(strings.Replace(withImpairment(`{loss: 5, applies_to: [], duplicate: 2}`), "transport: udp", "transport: tcp", 1)))
	f.Add([]byte(strings.Replace(valid, "transport: udp", "transport: udp, register: false, first_refresh: [0.5, 0.9], local_addrs: [127.0.0.2, \"::1\"], sockets_per_addr: 3", 1)))
	f.Add([]byte(ceilingDoc(", ceiling: {start: 2.5, factor: 1.7, step_duration: 2s, max: 90, confirm: true}")))
	f.Add([]byte(journeyBase + "    - dtmf: \"1#\"\n    - {wait: 1s, hold: 2s}\n    - [x]\n    - transfer: {to: \"1003\", k: 1}\n    - hangup: 1\n"))
	f.Add([]byte(journeyBase + "    - conference: \"800\"\n    - transfer: {}\n  journey_share: .nan\n"))
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
		if f := sc.Population.FirstRefresh; len(f) != 2 || !(f[0] > 0 && f[0] <= f[1] && f[1] < 1) || sc.Population.SocketsPerAddr < 1 {
			t.Fatalf("accepted population %+v", sc.Population)
		}
		if len(sc.Population.Numbers()) != sc.Population.Count {
			t.Fatalf("Numbers() length %d != count %d", len(sc.Population.Numbers()), sc.Population.Count)
		}
		if c := sc.Calls.Ceiling; sc.Calls.Shape == ShapeCeiling {
			rates := c.Rates()
			if len(rates) == 0 || len(rates) > MaxCeilingSteps || rates[len(rates)-1] != c.Max || len(c.Checks) == 0 {
				t.Fatalf("accepted ceiling %+v: rates %v", c, rates)
			}
			for i := 1; i < len(rates); i++ {
				if rates[i] <= rates[i-1] {
					t.Fatalf("ceiling %+v: rates %v do not rise", c, rates)
				}
			}
		}
		if sc.Population.Count > 10_000 {
			return // planning is linear in the population: keep the fuzzer fast
		}
		var last time.Duration
		for _, c := range NewPlan(sc, 1).Take(200) {
			if c.At < last || c.At >= sc.Calls.Duration || c.Hold < 0 || c.Caller < 0 || c.Caller >= sc.Population.Count ||
				c.Callee == c.Caller || c.Number == "" {
				t.Fatalf("planned %+v after %s", c, last)
			}
			last = c.At
		}
	})
}
