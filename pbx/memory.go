package pbx

import (
	"context"

	"github.com/emiago/sipgo/sip"
	"github.com/prometheus/client_golang/prometheus"

	"pbxlab/pbx/internal/memreturn"
)

// runMemoryReturner gives the heap of bursts back to the OS once the PBX is
// quiet for 64*T1 after them (memory.release_when_quiet, memreturn). It
// returns at once when that is off; otherwise when ctx ends.
func (s *Server) runMemoryReturner(ctx context.Context) {
	if s.memReturn == nil {
		return
	}
	_ = s.memReturn.Run(ctx)
}

// newMemoryReturner builds the returner of memory.release_when_quiet, nil
// when it is off. Linger is sipgo's Timer J (64*T1 of the process-wide
// timers, stack.go): the life of a non-INVITE transaction and of a
// replayed response.
func (s *Server) newMemoryReturner() *memreturn.Returner {
	if !s.cfg.Memory.ReleaseWhenQuiet {
		return nil
	}
	return memreturn.New(memreturn.Config{Linger: sip.Timer_J}, memreturn.WithLogger(s.log.With("layer", "memory")))
}

// memoryCollectors are the returner's counters for the metrics registry.
func (s *Server) memoryCollectors() []prometheus.Collector {
	stats := func() memreturn.Stats {
		if s.memReturn == nil {
			return memreturn.Stats{}
		}
		return s.memReturn.Stats()
	}
	return []prometheus.Collector{
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "pbxlab_memory_releases_total",
			Help: "Garbage collections run to give the heap of a burst back to the OS (memory.release_when_quiet)."},
			func() float64 { return float64(stats().Releases) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "pbxlab_memory_released_bytes_total",
			Help: "Heap bytes no longer held after those collections."},
			func() float64 { return float64(stats().ReleasedBytes) }),
	}
}
