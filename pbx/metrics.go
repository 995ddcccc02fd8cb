package pbx

import (
	"context"
	"math"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"pbxlab/pbx/internal/call"
	"pbxlab/pbx/internal/cdr"
)

// metrics are the PBX's Prometheus metrics, in a registry of this server
// (never the process-wide default one), served on admin.listen.
type metrics struct {
	reg       *prometheus.Registry
	registers *prometheus.CounterVec // REGISTER responses by status code
	calls     *prometheus.CounterVec // ended call attempts by CDR disposition
}

// endDispositions are the dispositions a call attempt can end with; their
// series exist from the start, at 0.
var endDispositions = []cdr.Disposition{cdr.Answered, cdr.Busy, cdr.NoAnswer, cdr.Cancelled, cdr.Failed, cdr.Redirected, cdr.Rejected}

func newMetrics(s *Server) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		registers: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pbxlab_register_responses_total",
			Help: "Responses to REGISTER requests, by status code.",
		}, []string{"code"}),
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pbxlab_calls_total",
			Help: "Call attempts that ended, by disposition (as in the CDR).",
		}, []string{"disposition"}),
	}
	for _, d := range endDispositions {
		m.calls.WithLabelValues(string(d))
	}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "pbxlab_active_calls", Help: "Calls in progress."},
			func() float64 {
				if s.calls == nil {
					return 0
				}
				return float64(s.calls.Active())
			}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "pbxlab_registered_bindings", Help: "Registered contacts that have not expired, every AOR together (static contacts not counted)."},
			func() float64 {
				if s.reg == nil {
					return 0
				}
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				n, err := s.reg.Bindings(ctx)
				if err != nil {
					s.log.Warn("metrics: count bindings", "error", err)
					return math.NaN()
				}
				return float64(n)
			}),
		m.registers,
		m.calls,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "pbxlab_sip_replayed_responses",
			Help: "Final responses to non-INVITE requests over UDP kept (64*T1) to answer their retransmissions, in place of the transactions."},
			func() float64 {
				if s.sip == nil {
					return 0
				}
				return float64(s.sip.Replayed())
			}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "pbxlab_media_anchored_calls", Help: "Calls whose RTP the PBX relays."},
			func() float64 {
				if s.media == nil {
					return 0
				}
				return float64(len(s.media.Snapshot()))
			}),
	)
	m.reg.MustRegister(s.memoryCollectors()...)
	m.reg.MustRegister(s.sourceLimitCollectors()...)
	m.reg.MustRegister(s.storeCollectors()...)
	m.reg.MustRegister(s.extraCollectors...)
	for _, st := range []string{"in_use", "draining", "free"} {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "pbxlab_media_port_pairs",
			Help: "RTP/RTCP port pairs of media.rtp_ports by state.", ConstLabels: prometheus.Labels{"state": st}},
			func() float64 {
				if s.media == nil {
					return 0
				}
				ps := s.media.PortStats()
				return float64(map[string]int{"in_use": ps.InUse, "draining": ps.Draining, "free": ps.Free}[st])
			}))
	}
	return m
}

// register counts a response to a REGISTER.
func (m *metrics) register(code int) { m.registers.WithLabelValues(strconv.Itoa(code)).Inc() }

// countingCDR counts every call attempt that ends, by disposition, on its
// way to the CDR store.
type countingCDR struct {
	call.CDRStore
	calls *prometheus.CounterVec
}

// Finish implements call.CDRStore. The call ended whether or not its record
// could be written, so it is counted either way.
func (c countingCDR) Finish(ctx context.Context, id int64, r cdr.Record) error {
	c.calls.WithLabelValues(string(r.Disposition)).Inc()
	return c.CDRStore.Finish(ctx, id, r)
}
