package pbx

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"net/netip"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// admin is the HTTP server on admin.listen: Prometheus /metrics,
// /healthz, the admin API under /api/v1/ (admin_api.go: bearer token
// admin.token; subscriber management in admin_subscribers.go) and, with
// admin.pprof, the Go profiler under /debug/pprof/. Its socket
// is bound by New (so AdminAddr is known before Run) and served by Run. The
// rest of the admin API and a web page come with system management.
type admin struct {
	ln net.Listener
	hs *http.Server
}

func (s *Server) initAdmin() error {
	if s.cfg.Admin.Listen == "" {
		return nil
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	s.mountAPI(mux)
	if s.cfg.Admin.Pprof {
		mountPprof(mux)
	}
	ln, err := net.Listen("tcp", s.cfg.Admin.Listen)
	if err != nil {
		return fmt.Errorf("admin listen %s: %w", s.cfg.Admin.Listen, err)
	}
	s.admin = &admin{ln: ln, hs: &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}}
	return nil
}

// mountPprof serves net/http/pprof under /debug/pprof/ on mux (admin.pprof);
// the package's handlers are registered here explicitly, never through
// http.DefaultServeMux.
func mountPprof(mux *http.ServeMux) {
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
}

// AdminAddr returns the address of the admin HTTP server (port resolved),
// false when admin.listen is off.
func (s *Server) AdminAddr() (netip.AddrPort, bool) {
	if s.admin == nil {
		return netip.AddrPort{}, false
	}
	ap, err := netip.ParseAddrPort(s.admin.ln.Addr().String())
	return ap, err == nil
}

// startAdmin serves the admin socket until the returned stop is called.
func (s *Server) startAdmin() (stop func()) {
	if s.admin == nil {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		// Close may close the socket before Run's deferred stop: not an error
		if err := s.admin.hs.Serve(s.admin.ln); err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
			s.log.Error("admin server", "error", err)
		}
	}()
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = s.admin.hs.Shutdown(ctx)
		<-done
	}
}
