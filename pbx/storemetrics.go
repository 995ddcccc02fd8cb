package pbx

import (
	"github.com/prometheus/client_golang/prometheus"

	"pbxlab/pbx/internal/store"
)

// storeCollectors count the group commits of the SQLite writers (CDRs,
// bindings) and the writes they carried: writes per commit is how well
// the writers batch under load, and commits per second what the store
// costs in CPU.
func (s *Server) storeCollectors() []prometheus.Collector {
	writers := map[string]func() store.Stats{
		"cdr": func() store.Stats {
			if s.cdrs == nil {
				return store.Stats{}
			}
			return s.cdrs.Stats()
		},
		"bindings": func() store.Stats {
			if s.regDB == nil {
				return store.Stats{}
			}
			return s.regDB.Stats()
		},
	}
	var cs []prometheus.Collector
	for name, stats := range writers {
		l := prometheus.Labels{"writer": name}
		cs = append(cs,
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "pbxlab_store_commits_total",
				Help: "Group commits of an SQLite writer.", ConstLabels: l},
				func() float64 { return float64(stats().Commits) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "pbxlab_store_writes_total",
				Help: "Writes (queued operations) those commits carried.", ConstLabels: l},
				func() float64 { return float64(stats().Ops) }))
	}
	return cs
}
