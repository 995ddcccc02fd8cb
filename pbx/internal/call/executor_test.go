package call

import (
	"sync"
	"testing"
	"time"

	"pbxlab/internal/gopool"
)

// The executor runs what is posted one at a time, in each poster's order,
// through bursts that empty its queue (whose array it then reuses), and a
// panicking function is reported without stopping the ones after it.
func TestExecutorOrderAndPanics(t *testing.T) {
	pool := gopool.New()
	defer pool.Close()
	var panics []any
	e := &executor{pool: pool, onPanic: func(r any, _ []byte) { panics = append(panics, r) }}
	const posters, each = 4, 500
	got := make([][]int, posters) // written on the executor only
	var running, overlap int
	var wg sync.WaitGroup
	for p := range posters {
		wg.Go(func() {
			for i := range each {
				e.post(func() {
					running++
					if running > 1 {
						overlap++
					}
					got[p] = append(got[p], i)
					if p == 0 && i == each/2 {
						running--
						panic("boom")
					}
					running--
				})
			}
		})
	}
	wg.Wait()
	e.run(func() {}) // everything posted before has run
	e.run(func() {
		if overlap != 0 {
			t.Errorf("%d functions ran while another was running", overlap)
		}
		for p, seq := range got {
			if len(seq) != each {
				t.Errorf("poster %d: %d of %d ran", p, len(seq), each)
				continue
			}
			for i, v := range seq {
				if v != i {
					t.Errorf("poster %d: function %d ran as number %d", p, v, i)
					break
				}
			}
		}
		if len(panics) != 1 || panics[0] != "boom" {
			t.Errorf("panics reported: %v, want [boom]", panics)
		}
	})
	// the worker leaves drain just after the last function returned
	deadline := time.Now().Add(10 * time.Second)
	for {
		e.mu.Lock()
		if !e.running || time.Now().After(deadline) {
			break
		}
		e.mu.Unlock()
		time.Sleep(time.Millisecond)
	}
	defer e.mu.Unlock()
	if e.running || e.head != 0 || len(e.q) != 0 || cap(e.q) == 0 {
		t.Errorf("idle executor: running %v head %d len %d cap %d, want the emptied queue kept", e.running, e.head, len(e.q), cap(e.q))
	}
}
