package pbx

import (
	"net/netip"
	"slices"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/prometheus/client_golang/prometheus"

	"pbxlab/pbx/internal/sourcelimit"
)

// newSourceLimiter builds the per-source flood limit of sip.source_limits
// (nil when off). Trusted peers are exempt, besides the configured list.
func (s *Server) newSourceLimiter() *sourcelimit.Limiter {
	c := s.cfg.SIP.SourceLimits
	return sourcelimit.New(sourcelimit.Config{
		Rate:         float64(c.Rate),
		Burst:        float64(c.Burst),
		BlockFor:     c.BlockFor,
		Connections:  c.Connections,
		AuthFailures: c.AuthFailures,
		Exempt:       slices.Concat(s.trusted, c.ExemptPrefixes()),
		OnBlock: func(src netip.Addr, until time.Time, reason string) {
			s.log.Warn("SIP source over sip.source_limits: ignored until its block ends",
				"source", src, "limit", reason, "until", until.Format(time.RFC3339))
		},
	})
}

// sourceLimitCollectors are the metrics of the per-source limit (0 while
// it is off).
func (s *Server) sourceLimitCollectors() []prometheus.Collector {
	stats := func() sourcelimit.Stats {
		if s.limit == nil {
			return sourcelimit.Stats{}
		}
		return s.limit.Stats()
	}
	return []prometheus.Collector{
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "pbxlab_sip_source_dropped_total",
			Help: "SIP messages and TCP connections dropped unread because their source was over sip.source_limits."},
			func() float64 { return float64(stats().Dropped) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "pbxlab_sip_source_blocks_total",
			Help: "Times a source address went over sip.source_limits and was blocked."},
			func() float64 { return float64(stats().Blocks) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "pbxlab_sip_sources_blocked",
			Help: "Source addresses blocked now by sip.source_limits."},
			func() float64 { return float64(stats().Blocked) }),
	}
}

// authRefused is digestauth's WithRefused hook: a wrong password or an
// unknown user counts against the request's source
// (sip.source_limits.auth_failures).
func (s *Server) authRefused(req *sip.Request, _ error) {
	if s.limit == nil {
		return
	}
	if ap, err := netip.ParseAddrPort(req.Source()); err == nil {
		s.limit.Fail(ap.Addr())
	}
}
