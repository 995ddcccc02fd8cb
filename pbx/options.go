package pbx

import (
	"log/slog"
	"net"

	"github.com/prometheus/client_golang/prometheus"

	"pbxlab/internal/clock"
	"pbxlab/internal/pcapio"
	"pbxlab/pbx/internal/call"
	"pbxlab/pbx/internal/resolve"
)

// Option configures a Server.
type Option func(*Server)

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(s *Server) { s.log = l } }

// WithClock sets the clock behind every PBX timer.
func WithClock(c clock.Clock) Option { return func(s *Server) { s.clock = c } }

// WithCapture writes every SIP message the PBX sends or receives to w.
func WithCapture(w *pcapio.Writer) Option { return func(s *Server) { s.capture = w } }

// WithCallOptions passes options to the call layer (tests: a media seam
// that marks what crosses it, short timers).
func WithCallOptions(opts ...call.Option) Option {
	return func(s *Server) { s.callOpts = append(s.callOpts, opts...) }
}

// WithPacketListener opens the UDP listen sockets with listen instead of
// net.ListenPacket: e.g. memnet.Network.ListenPacket, to run the PBX on an
// in-memory network inside a testing/synctest bubble (see
// docs/VIRTUAL_TIME.md). listen gets net.ListenPacket's arguments ("udp4" or
// "udp6", "ip:port"). TCP listen addresses still bind real sockets: a
// virtual-time PBX must listen on UDP only. A nil listen is ignored.
func WithPacketListener(listen func(network, address string) (net.PacketConn, error)) Option {
	return func(s *Server) {
		if listen != nil {
			s.listenPacket = listen
		}
	}
}

// WithResolver locates host names with r instead of DNS as the dns
// section says (tests in virtual time: a resolver without sockets).
func WithResolver(r resolve.Resolver) Option { return func(s *Server) { s.resolver = r } }

// WithCollectors registers more collectors on the Server's metrics
// registry (/metrics of the admin listener): the process's own, such as
// cmd/pbxlab's GOMAXPROCS controller.
func WithCollectors(cs ...prometheus.Collector) Option {
	return func(s *Server) { s.extraCollectors = append(s.extraCollectors, cs...) }
}
