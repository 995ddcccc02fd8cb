package pbx

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/prometheus/client_golang/prometheus"

	"pbxlab/internal/sipreg"
	"pbxlab/pbx/config"
	"pbxlab/pbx/internal/resolve"
	"pbxlab/pbx/internal/sipx"
)

// unregisterWait bounds the unREGISTERs of Close: a PBX shutting down
// does not wait a whole transaction timeout for a silent carrier.
const unregisterWait = 2 * time.Second

// refreshMargin is the most a registration is refreshed before it
// expires; a short one is refreshed at half its lifetime.
const refreshMargin = 5 * time.Minute

// TrunkRegistration is the state of the PBX's registration with a peer
// (peers[].register), for tests and the admin API.
type TrunkRegistration struct {
	Peer       string
	Registered bool
	// Expires is the lifetime the registrar granted at the last success
	// (0 when not registered).
	Expires time.Duration
	// Code is the final status of the last REGISTER (0: none arrived).
	Code int
	// Error says why the last attempt failed ("" after a success).
	Error string
	// At is when the last attempt ended; Refreshes counts the successful
	// REGISTERs since start (the first one included).
	At        time.Time
	Refreshes int
}

// trunkReg is one peer's registration: its dialog identifiers (one
// Call-ID and From tag for every REGISTER, RFC 3261 §10.2) and its state.
type trunkReg struct {
	p       *peer
	callID  string
	fromTag string

	mu    sync.Mutex
	cseq  uint32
	state TrunkRegistration
	dest  resolve.Target // the server that granted the last registration
}

// trunks are the registrations of the peers that register.
type trunks struct {
	regs     []*trunkReg
	failures *prometheus.CounterVec

	mu      sync.Mutex
	stopped bool
	stop    context.CancelFunc
	ctx     context.Context
	wg      sync.WaitGroup
}

// initTrunks builds a registration per peer with register: and its
// metrics: pbxlab_trunk_registered{peer} and
// pbxlab_trunk_register_failures_total{peer}.
func (s *Server) initTrunks() {
	t := &trunks{failures: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "pbxlab_trunk_register_failures_total",
		Help: "REGISTER attempts to a trunk's registrar that failed (no answer, a refusal, credentials refused), by peer.",
	}, []string{"peer"})}
	t.ctx, t.stop = context.WithCancel(context.Background())
	s.trunks = t
	s.metrics.reg.MustRegister(t.failures)
	for _, p := range s.peers {
		if !p.cfg.Registering() {
			continue
		}
		tr := &trunkReg{p: p, callID: sipx.NewCallID(), fromTag: sipx.NewTag(), state: TrunkRegistration{Peer: p.cfg.Name}}
		t.regs = append(t.regs, tr)
		t.failures.WithLabelValues(p.cfg.Name)
		s.metrics.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "pbxlab_trunk_registered", Help: "1 while the PBX's registration with the trunk's registrar holds, else 0.",
			ConstLabels: prometheus.Labels{"peer": p.cfg.Name},
		}, func() float64 {
			if tr.snapshot().Registered {
				return 1
			}
			return 0
		}))
	}
}

// TrunkRegistrations returns the state of every trunk registration, in
// peers[] order.
func (s *Server) TrunkRegistrations() []TrunkRegistration {
	out := make([]TrunkRegistration, 0, len(s.trunks.regs))
	for _, tr := range s.trunks.regs {
		out = append(out, tr.snapshot())
	}
	return out
}

// TrunkRegistration returns the state of the registration with the named
// peer; false when the peer does not register.
func (s *Server) TrunkRegistration(peer string) (TrunkRegistration, bool) {
	for _, tr := range s.trunks.regs {
		if tr.p.cfg.Name == peer {
			return tr.snapshot(), true
		}
	}
	return TrunkRegistration{}, false
}

func (tr *trunkReg) snapshot() TrunkRegistration {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.state
}

// runTrunks registers every trunk and keeps it registered until Close;
// the peers that take inbound calls by their resolved addresses are
// located once (qualify locates them again at every OPTIONS).
func (s *Server) runTrunks() {
	t := s.trunks
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped {
		return
	}
	for _, p := range s.peers {
		if p.cfg.Inbound() && len(p.cfg.ACL) == 0 && p.cfg.Qualify <= 0 && !p.cfg.Registering() {
			t.wg.Go(func() { s.locatePeer(t.ctx, p) })
		}
	}
	for _, tr := range t.regs {
		t.wg.Go(func() { s.keepRegistered(t.ctx, tr) })
	}
}

// keepRegistered registers tr, then re-registers before the granted
// lifetime runs out (at half of it, at most refreshMargin before the
// end: RFC 3261 §10.2.4); a failure is retried after register.retry.
func (s *Server) keepRegistered(ctx context.Context, tr *trunkReg) {
	cfg := tr.p.cfg
	for {
		granted, err := s.register(ctx, tr, cfg.RegisterExpires())
		if ctx.Err() != nil {
			return
		}
		wait := cfg.RegisterRetry()
		if err != nil {
			s.trunks.failures.WithLabelValues(cfg.Name).Inc()
			s.log.Warn("trunk registration failed", "peer", cfg.Name, "error", err, "retry_in", wait)
		} else {
			wait = granted - min(granted/2, refreshMargin)
		}
		select {
		case <-ctx.Done():
			return
		case <-s.clock.After(wait):
		}
	}
}

// register sends tr's REGISTER asking for expires (0: unregister) to the
// peer's servers in DNS order, on to the next while one is silent or
// answers 503, and records the outcome; it returns the lifetime granted.
func (s *Server) register(ctx context.Context, tr *trunkReg, expires time.Duration) (time.Duration, error) {
	name := tr.p.cfg.Name
	var res *sip.Response
	var granted time.Duration
	var at resolve.Target
	targets := s.locatePeer(ctx, tr.p)
	for _, t := range targets {
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		res, granted = s.registerAt(ctx, tr, t, expires)
		if res != nil && res.StatusCode != 503 {
			at = t
			break
		}
	}
	var err error
	switch {
	case len(targets) == 0:
		err = fmt.Errorf("register %s: host %s does not resolve: %w", name, tr.p.cfg.Host, ErrNotRegistered)
	case res == nil:
		err = fmt.Errorf("register %s: no answer: %w", name, ErrNotRegistered)
	case !res.IsSuccess():
		err = fmt.Errorf("register %s: %d %s: %w", name, res.StatusCode, res.Reason, ErrNotRegistered)
	}
	tr.mu.Lock()
	defer tr.mu.Unlock()
	was := tr.state.Registered
	tr.state.At = s.clock.Now()
	tr.state.Code = 0
	if res != nil {
		tr.state.Code = res.StatusCode
	}
	switch {
	case expires == 0:
		tr.state.Registered, tr.state.Expires, tr.state.Error = false, 0, ""
		if err != nil {
			tr.state.Error = err.Error()
		}
	case err != nil:
		tr.state.Registered, tr.state.Expires, tr.state.Error = false, 0, err.Error()
	default:
		tr.state.Registered, tr.state.Expires, tr.state.Error = true, granted, ""
		tr.state.Refreshes++
		tr.dest = at
	}
	if !was && tr.state.Registered {
		s.log.Info("trunk registered", "peer", name, "expires", granted, "server", at.Addr)
	}
	return granted, err
}

// registerAt sends one REGISTER transaction chain to the server t: the
// request, once more with credentials after a 401/407 (twice when the
// second challenge says stale=true), once more with Min-Expires after a
// 423 (RFC 3261 §10.2.8). It returns the final response (nil: no answer)
// and on a 2xx the lifetime granted.
func (s *Server) registerAt(ctx context.Context, tr *trunkReg, t resolve.Target, expires time.Duration) (*sip.Response, time.Duration) {
	local, ok := s.local(t.Transport, t.Addr)
	if !ok {
		return nil, 0
	}
	cfg := tr.p.cfg
	var auth sip.Header
	auths, briefs := 0, 0
	for {
		req := tr.newRegister(s.token, local, t, expires, auth)
		res := s.transact(ctx, req, 64*s.cfg.SIP.T1)
		switch {
		case res == nil:
			return nil, 0
		case (res.StatusCode == 401 || res.StatusCode == 407) && cfg.Username != "" && (auths == 0 || auths == 1 && staleChallenge(res)):
			h, v, err := answerChallenge(res, req, cfg.Username, cfg.Password)
			if err != nil {
				s.log.Warn("trunk registrar's challenge not answered", "peer", cfg.Name, "error", err)
				return res, 0
			}
			auth, auths = sip.NewHeader(h, v), auths+1
		case res.StatusCode == 423 && briefs == 0:
			m := sipreg.HeaderSeconds(res, "Min-Expires")
			if m <= expires {
				return res, 0
			}
			s.log.Info("trunk registrar wants a longer registration (423)", "peer", cfg.Name, "min_expires", m)
			expires, briefs = m, 1
			auth, auths = nil, 0 // a new challenge comes for the new request
		case res.IsSuccess():
			return res, sipreg.GrantedExpires(res, local.ContactURI(cfg.RegisterContactUser()), expires)
		default:
			return res, 0
		}
	}
}

// newRegister builds the next REGISTER of tr: To and From the
// address-of-record sip:user@domain, the Request-URI sip:domain, the same
// Call-ID and From tag as every other, a CSeq one higher (RFC 3261
// §10.2), Contact the PBX at local with the registration's contact user.
func (tr *trunkReg) newRegister(tok sipx.BranchToken, local sipx.Local, t resolve.Target, expires time.Duration, auth sip.Header) *sip.Request {
	cfg := tr.p.cfg
	ruri := registrarURI(cfg)
	if t.Transport == config.TransportTCP {
		ruri.UriParams.Add("transport", "tcp")
	}
	aor := sip.Uri{Scheme: "sip", User: cfg.RegisterUser(), Host: ruri.Host, Port: ruri.Port, UriParams: sip.NewParams(), Headers: sip.NewParams()}
	req := sip.NewRequest(sip.REGISTER, ruri)
	req.AppendHeader(local.Via(tok.Branch()))
	mf := sip.MaxForwardsHeader(70)
	req.AppendHeader(&mf)
	from := &sip.FromHeader{Address: aor, Params: sip.NewParams()}
	from.Params.Add("tag", tr.fromTag)
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: *aor.Clone(), Params: sip.NewParams()})
	cid := sip.CallIDHeader(tr.callID)
	req.AppendHeader(&cid)
	tr.mu.Lock()
	tr.cseq++
	seq := tr.cseq
	tr.mu.Unlock()
	req.AppendHeader(&sip.CSeqHeader{SeqNo: seq, MethodName: sip.REGISTER})
	req.AppendHeader(local.Contact(cfg.RegisterContactUser()))
	exp := sip.ExpiresHeader(uint32(expires / time.Second))
	req.AppendHeader(&exp)
	if auth != nil {
		req.AppendHeader(auth)
	}
	req.SetBody(nil)
	local.Prepare(req, sipx.HostPort(t.Addr))
	return req
}

// registrarURI is sip:domain: register.domain, else the peer's host (with
// its port when the host is an IP address or a port is configured).
func registrarURI(cfg config.Peer) sip.Uri {
	u := sip.Uri{Scheme: "sip", Host: cfg.Host, Port: cfg.Port, UriParams: sip.NewParams(), Headers: sip.NewParams()}
	if d := registerDomain(cfg); d != "" {
		u.Host, u.Port = d, 0
		if h, p, ok := strings.Cut(d, ":"); ok && !strings.Contains(p, ":") {
			if n, err := strconv.Atoi(p); err == nil {
				u.Host, u.Port = h, n
			}
		}
	}
	return u
}

// staleChallenge reports whether a 401/407 says the nonce was stale.
func staleChallenge(res *sip.Response) bool {
	for _, name := range []string{"WWW-Authenticate", "Proxy-Authenticate"} {
		for _, h := range res.GetHeaders(name) {
			if strings.Contains(strings.ToLower(h.Value()), "stale=true") {
				return true
			}
		}
	}
	return false
}

// closeTrunks stops the registrations and removes the bindings the PBX
// holds (a REGISTER with Expires: 0 to the server that granted each,
// RFC 3261 §10.2.2), waiting at most unregisterWait.
func (s *Server) closeTrunks() {
	t := s.trunks
	if t == nil {
		return
	}
	t.mu.Lock()
	t.stopped = true
	t.stop()
	t.mu.Unlock()
	t.wg.Wait()
	if s.sip == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), unregisterWait)
	defer cancel()
	var wg sync.WaitGroup
	for _, tr := range t.regs {
		tr.mu.Lock()
		registered, dest := tr.state.Registered, tr.dest
		tr.mu.Unlock()
		if !registered {
			continue
		}
		wg.Go(func() {
			res, _ := s.registerAt(ctx, tr, dest, 0)
			tr.mu.Lock()
			tr.state.Registered, tr.state.Expires, tr.state.At = false, 0, s.clock.Now()
			if res != nil {
				tr.state.Code = res.StatusCode
			}
			tr.mu.Unlock()
			s.log.Info("trunk unregistered", "peer", tr.p.cfg.Name, "answered", res != nil)
		})
	}
	wg.Wait()
}

// registerDomain is peers[].register.domain ("" when unset or the peer
// does not register).
func registerDomain(cfg config.Peer) string {
	if cfg.Register == nil {
		return ""
	}
	return cfg.Register.Domain
}
