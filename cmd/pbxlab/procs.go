package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/prometheus/client_golang/prometheus"

	"pbxlab/internal/procs"
)

// adaptiveProcs runs an internal/procs Controller (GOMAXPROCS 1 while the
// load fits one core) until ctx ends, when the command asks for it (on),
// the process may adapt (not a test running the command in-process) and
// $GOMAXPROCS does not pin the number. It returns the Controller, nil when
// none runs, and a wait for its end (GOMAXPROCS restored).
func (p processSetup) adaptiveProcs(ctx context.Context, on bool, log *slog.Logger) (*procs.Controller, func()) {
	if !on || !p.adaptProcs {
		return nil, func() {}
	}
	if v, set := os.LookupEnv("GOMAXPROCS"); set {
		log.Info("GOMAXPROCS is set: not adapting it to the load", "GOMAXPROCS", v)
		return nil, func() {}
	}
	c := procs.New(procs.Config{}, procs.WithLogger(log.With("layer", "procs")))
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = c.Run(ctx)
	}()
	return c, func() { <-done }
}

// procsCollectors are a Controller's metrics (none when c is nil); the Go
// collector already exports GOMAXPROCS itself (go_sched_gomaxprocs_threads).
func procsCollectors(c *procs.Controller) []prometheus.Collector {
	if c == nil {
		return nil
	}
	return []prometheus.Collector{
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "pbxlab_gomaxprocs_changes_total",
			Help: "Times GOMAXPROCS changed between 1 and all processors with the load (runtime.adaptive_procs)."},
			func() float64 { return float64(c.Stats().Changes) }),
	}
}
