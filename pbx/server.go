// Package pbx is the pbxlab PBX: a SIP registrar/location server with
// digest authentication and a B2BUA call processor (the manual's process
// server), with CDRs in SQLite. New binds the sockets, Run serves until its
// context ends and then shuts down gracefully, Close releases everything.
package pbx

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"pbxlab/internal/clock"
	"pbxlab/internal/pcapio"
	"pbxlab/pbx/config"
	"pbxlab/pbx/internal/attendant"
	"pbxlab/pbx/internal/call"
	"pbxlab/pbx/internal/cdr"
	"pbxlab/pbx/internal/digestauth"
	"pbxlab/pbx/internal/directory"
	"pbxlab/pbx/internal/media"
	"pbxlab/pbx/internal/memreturn"
	"pbxlab/pbx/internal/numbering"
	"pbxlab/pbx/internal/registrar"
	"pbxlab/pbx/internal/resolve"
	"pbxlab/pbx/internal/services"
	"pbxlab/pbx/internal/services/callerid"
	"pbxlab/pbx/internal/services/hold"
	"pbxlab/pbx/internal/services/hotline"
	"pbxlab/pbx/internal/services/hunt"
	"pbxlab/pbx/internal/services/pickup"
	"pbxlab/pbx/internal/services/presence"
	"pbxlab/pbx/internal/sipx"
	"pbxlab/pbx/internal/sourcelimit"
	"pbxlab/pbx/internal/store"
	"pbxlab/pbx/internal/subscription"
)

// Server is one PBX instance.
type Server struct {
	cfg     *config.Config
	log     *slog.Logger
	clock   clock.Clock
	capture *pcapio.Writer

	db    *sql.DB
	auth  *digestauth.Auth
	reg   *registrar.Registrar
	regDB *registrar.SQLStore
	cdrs  *cdr.Store
	calls *call.Manager
	media *media.Server
	ivr   *attendant.Attendant // IVR numbers (ivr.go)
	sip   *sipx.Stack
	token sipx.BranchToken
	vm    *vmState // nil: no mailbox, no voicemail number

	rooms    map[string]*media.Room // the conference bridge, by number (conference.go)
	recorder *recorder              // call recording (recording.go)

	dir       *directory.Directory           // the subscribers (subscribers.go)
	dirMu     sync.Mutex                     // serialises the admin API's changes of dir and plan
	plan      atomic.Pointer[numbering.Plan] // number analysis and substitution
	svc       *services.Chain                // the call services (services.go)
	hunt      *hunt.Service                  // hunt groups (hunt.go); nil: none
	huntRuns  huntRuns                       // the calls being hunted (hunt.go)
	lines     lines                          // who is in a call (lines.go, call waiting)
	pickup    *pickup.Service                // call pickup's policy (pickup.go)
	hotline   *hotline.Service               // the hotline service (hotline.go)
	threeway  *threewayCalls                 // three-party calls and ad-hoc conferences (threeway.go)
	hold      *hold.Service                  // the hold mode per subscriber (hold.go)
	ci        ciState                        // call intervention (intervention.go)
	parking   *parking                       // call park's lot and parked calls (park.go)
	cb        *callbackState                 // call back on busy (callback.go)
	trusted   []netip.Prefix
	limit     *sourcelimit.Limiter // sip.source_limits; nil: off (sourcelimit.go)
	peers     []*peer              // outbound peers (config peers), qualified
	outRoutes map[string]*route    // config routes by name
	spread    *drawer              // draws of weighted route spreads (WithRand; nil: math/rand)
	trunks    *trunks              // registrations with trunks (trunkreg.go)
	// resolver locates the servers of host names (RFC 3263, dns.go)
	resolver resolve.Resolver

	listenPacket func(network, address string) (net.PacketConn, error) // UDP sockets (WithPacketListener)

	listeners []*listener
	flows     chan netip.AddrPort // closed TCP connections, for dropFlows (flow.go)
	closing   atomic.Bool         // Close has begun: connections close because of it
	callOpts  []call.Option
	routes    *routeCache // source address per peer, for 0.0.0.0 / :: listeners
	metrics   *metrics
	memReturn *memreturn.Returner // memory.release_when_quiet (memory.go); nil: off
	admin     *admin              // nil when admin.listen is off
	closeOnce sync.Once
	closeErr  error

	extraCollectors []prometheus.Collector // registered on the metrics registry (WithCollectors)

	subs     *subscription.Manager // SUBSCRIBE/NOTIFY: MWI and the busy lamp field (subscriptions.go)
	presence *presence.Service     // who may watch whose line (presence.go)
	blf      blf                   // the subscribers' dialog states (presence.go)
	clir     *callerid.CLIR        // permanent CLIR settings (callerid_codes.go)
	presents presentations         // per-call caller ID choices (callerid_codes.go)
	ringOuts ringOuts              // wake-up alarms, group notifications (ringouts.go)
}

type listener struct {
	addr config.ListenAddr // actual address (port resolved)
	pc   net.PacketConn
	ln   net.Listener
}

// New validates cfg, opens the store and binds every listen address, so
// Addrs is known before Run.
func New(cfg *config.Config, opts ...Option) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("new pbx: %w", err)
	}
	if err := cfg.RequireLoopbackForDemo(); err != nil {
		return nil, fmt.Errorf("new pbx: %w", err)
	}
	s := &Server{cfg: cfg, log: slog.New(slog.DiscardHandler), clock: clock.New(), token: sipx.NewBranchToken(), listenPacket: net.ListenPacket}
	for _, o := range opts {
		o(s)
	}
	s.checkStack()
	s.routes = newRouteCache(s.clock)
	s.memReturn = s.newMemoryReturner()
	s.metrics = newMetrics(s)
	if err := s.init(); err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("new pbx: %w", err)
	}
	return s, nil
}

func (s *Server) init() error {
	ctx := context.Background()
	if err := s.initNumbering(); err != nil {
		return err
	}
	for _, p := range s.cfg.TrustedPeers {
		pfx, err := parsePrefix(p.Address)
		if err != nil {
			return fmt.Errorf("trusted peer %s: %w", p.Name, err)
		}
		s.trusted = append(s.trusted, pfx)
	}
	db, err := store.Open(ctx, s.cfg.Store.Path)
	if err != nil {
		return err
	}
	s.db = db
	if err := s.initDirectory(ctx); err != nil {
		return err
	}
	if s.cdrs, err = cdr.Open(ctx, db, cdr.WithClock(s.clock), cdr.WithLogger(s.log),
		cdr.WithCommitDelay(s.cfg.Store.CommitDelay)); err != nil {
		return err
	}
	if err := s.initAuth(ctx); err != nil {
		return err
	}
	if err := s.initServices(ctx); err != nil {
		return err
	}
	if err := s.initResolver(); err != nil {
		return err
	}
	if err := s.initSIP(); err != nil {
		return err
	}
	if err := s.initMedia(); err != nil {
		return err
	}
	if err := s.initIVR(); err != nil {
		return err
	}
	if err := s.initConferences(); err != nil {
		return err
	}
	if err := s.initRecording(ctx); err != nil {
		return err
	}
	if err := s.initCalls(); err != nil {
		return err
	}
	if err := s.initVoicemail(ctx); err != nil {
		return err
	}
	if err := s.initSubscriptions(); err != nil {
		return err
	}
	s.initPeers()
	s.initTrunks()
	s.initRoutes()
	return s.initAdmin()
}

// Addrs returns the addresses the PBX listens on, with ephemeral ports resolved.
func (s *Server) Addrs() []config.ListenAddr {
	out := make([]config.ListenAddr, 0, len(s.listeners))
	for _, l := range s.listeners {
		out = append(out, l.addr)
	}
	return out
}

// Addr returns the first listen address of transport ("udp" or "tcp").
func (s *Server) Addr(transport string) (netip.AddrPort, bool) {
	for _, l := range s.listeners {
		if l.addr.Transport == transport {
			return l.addr.AddrPort, true
		}
	}
	return netip.AddrPort{}, false
}

// CDRs returns the call detail record store.
func (s *Server) CDRs() *cdr.Store { return s.cdrs }

// Registrar returns the location service.
func (s *Server) Registrar() *registrar.Registrar { return s.reg }

// ActiveCalls returns the number of calls in progress.
func (s *Server) ActiveCalls() int { return s.calls.Active() }

// Run serves SIP until ctx ends, then shuts down gracefully: new calls get
// 503, calls still up after the grace period get BYE, CDRs are flushed.
func (s *Server) Run(ctx context.Context) error {
	errc := make(chan error, len(s.listeners)+2)
	for _, l := range s.listeners {
		go func() {
			var err error
			if l.pc != nil {
				err = s.sip.ServeUDP(l.pc)
			} else {
				err = s.sip.ServeTCP(l.ln)
			}
			if err != nil && !errors.Is(err, net.ErrClosed) {
				errc <- fmt.Errorf("serve %s: %w", l.addr, err)
			}
		}()
	}
	regCtx, stopReg := context.WithCancel(context.Background())
	defer stopReg()
	go func() { _ = s.reg.Run(regCtx) }()
	go s.dropFlows(regCtx)
	go s.runMemoryReturner(regCtx)
	s.runRingOuts(regCtx) // wake-up alarms, group notifications (ringouts.go)
	go func() {
		// the PBX's own requests (keepalives, qualify) wait until sipgo
		// serves the UDP listeners, or they would go out from a socket of
		// sipgo's own
		if s.awaitUDPListeners(regCtx) {
			go s.runKeepalive(regCtx)
			s.runTrunks()
			s.runQualify(regCtx)
		}
	}()
	stopAdmin := s.startAdmin()
	defer stopAdmin()
	s.log.Info("pbx running", "listen", s.Addrs())
	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-errc:
	}
	s.log.Info("pbx shutting down", "active_calls", s.calls.Active())
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.Call.ShutdownGrace+10*time.Second)
	defer cancel()
	if err := s.calls.Shutdown(sctx); err != nil {
		s.log.Warn("shutdown", "error", err)
	}
	stopReg()
	if err := s.Close(); err != nil && runErr == nil {
		runErr = err
	}
	return runErr
}

// Close releases sockets, the SIP stack and the store.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.closing.Store(true)
		s.closeTrunks() // unREGISTER while the sockets are open
		var errs []error
		if s.calls != nil {
			_ = s.calls.Close()
		}
		s.closeRecordings()
		errs = append(errs, s.closeConferences())
		errs = append(errs, s.closeSubscriptions())
		errs = append(errs, s.closeVoicemail())
		if s.media != nil { // after the calls: none is left to use it
			errs = append(errs, s.media.Close())
		}
		if s.admin != nil {
			_ = s.admin.ln.Close() // already closed when Run served it
		}
		if s.sip != nil {
			s.sip.Quiesce() // nothing read from now on reaches sipgo
		}
		for _, l := range s.listeners {
			if l.pc != nil {
				_ = l.pc.Close()
			}
			if l.ln != nil {
				_ = l.ln.Close()
			}
		}
		if s.sip != nil {
			_ = s.sip.Close()
		}
		if s.reg != nil {
			errs = append(errs, s.reg.Close())
		}
		if s.regDB != nil {
			errs = append(errs, s.regDB.Close())
		}
		if s.cdrs != nil {
			errs = append(errs, s.cdrs.Close())
		}
		if s.db != nil {
			errs = append(errs, s.db.Close())
		}
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

func parsePrefix(s string) (netip.Prefix, error) {
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("parse %q: %w", s, err)
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}
