package pbx

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/pcapio"
	"pbxlab/internal/rawudp"
	"pbxlab/pbx/config"
	"pbxlab/pbx/internal/call"
	"pbxlab/pbx/internal/digestauth"
	"pbxlab/pbx/internal/numbering"
	"pbxlab/pbx/internal/registrar"
	"pbxlab/pbx/internal/sipx"
	"pbxlab/pbx/internal/store"
)

// initSIP binds the listen sockets (wrapped by the capture tap when one is
// set) and builds the sipgo user agent, server and client.
func (s *Server) initSIP() error {
	for _, la := range s.cfg.Listen() {
		l, err := bind(la, s.listenPacket)
		if err != nil {
			return err
		}
		if l.pc != nil {
			l.pc = pcapio.WrapPacketConn(l.pc, s.capture)
		} else {
			l.ln = pcapio.WrapListener(l.ln, s.capture)
		}
		s.listeners = append(s.listeners, l)
	}
	if len(s.listeners) == 0 {
		return ErrNoListener
	}
	s.flows = make(chan netip.AddrPort, flowEvents)
	s.limit = s.newSourceLimiter() // sourcelimit.go
	st, err := sipx.NewStack(sipx.StackConfig{UserAgent: s.cfg.SIP.UserAgent, Logger: s.log, Stray: s.strayResponse,
		FlowClosed: s.flowClosed, SourceLimit: s.limit})
	if err != nil {
		return err
	}
	s.sip = st
	return nil
}

// strayResponse hands responses that matched no transaction to the B2BUA
// (retransmitted 2xx need a new ACK). The call manager is built after the
// user agent, hence the indirection.
func (s *Server) strayResponse(res *sip.Response) {
	if s.calls != nil {
		s.calls.HandleStrayResponse(res)
	}
}

// udpSocketBuffer is the send and receive buffer asked for on SIP UDP sockets.
const udpSocketBuffer = 8 << 20

// bind opens one listen address; UDP sockets come from listenPacket
// (net.ListenPacket unless WithPacketListener replaced it).
func bind(la config.ListenAddr, listenPacket func(network, address string) (net.PacketConn, error)) (*listener, error) {
	network := la.Transport
	if la.AddrPort.Addr().Is6() && !la.AddrPort.Addr().Is4In6() {
		network += "6"
	} else {
		network += "4"
	}
	addr := la.AddrPort.String()
	l := &listener{}
	var local net.Addr
	switch la.Transport {
	case "udp":
		pc, err := listenPacket(network, addr)
		if err != nil {
			return nil, fmt.Errorf("listen %s: %w", la, err)
		}
		if uc, ok := pc.(*net.UDPConn); ok {
			// Bursts of thousands of requests a second overflow the default
			// ~200 KB socket buffer and the kernel drops datagrams (seen as
			// lost ACKs and BYEs under SIPp load). The kernel caps this at
			// net.core.rmem_max / wmem_max.
			_ = uc.SetReadBuffer(udpSocketBuffer)
			_ = uc.SetWriteBuffer(udpSocketBuffer)
		}
		// reads and writes that do not wake the Go runtime's monitor
		// thread at every datagram (internal/rawudp)
		pc = rawudp.Wrap(pc)
		l.pc, local = pc, pc.LocalAddr()
	case "tcp":
		ln, err := net.Listen(network, addr)
		if err != nil {
			return nil, fmt.Errorf("listen %s: %w", la, err)
		}
		l.ln, local = ln, ln.Addr()
	default:
		return nil, fmt.Errorf("listen %s: %w", la, ErrNoListener)
	}
	ap, err := netip.ParseAddrPort(local.String())
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", la, err)
	}
	l.addr = config.ListenAddr{Transport: la.Transport, AddrPort: netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), Advertise: la.Advertise}
	return l, nil
}

// initAuth builds digest authentication and the registrar.
func (s *Server) initAuth(ctx context.Context) error {
	realms := make([]digestauth.Realm, 0, len(s.cfg.Auth.Realms))
	for _, r := range s.cfg.Auth.Realms {
		algs := make([]string, 0, len(r.Algorithms))
		for _, a := range r.Algorithms {
			algs = append(algs, string(a))
		}
		realms = append(realms, digestauth.Realm{Name: r.Name, Algorithms: algs})
	}
	secret, err := s.nonceSecret(ctx)
	if err != nil {
		return err
	}
	auth, err := digestauth.New(realms, credentials{s}, digestauth.WithClock(s.clock),
		digestauth.WithNonceTTL(s.cfg.Auth.NonceTTL), digestauth.WithSecret(secret),
		digestauth.WithRefused(s.authRefused)) // sourcelimit.go
	if err != nil {
		return err
	}
	s.auth = auth
	back, err := registrar.NewSQLStore(ctx, s.db, store.WithCommitDelay(s.cfg.Store.CommitDelay))
	if err != nil {
		return err
	}
	s.regDB = back
	st, err := registrar.NewCached(ctx, back)
	if err != nil {
		return err
	}
	opts := []registrar.Option{
		registrar.WithClock(s.clock),
		registrar.WithLogger(s.log.With("component", "registrar")),
		registrar.WithMinExpires(s.cfg.Registrar.MinExpires),
		registrar.WithDefaultExpires(s.cfg.Registrar.DefaultExpires),
		registrar.WithMaxExpires(s.cfg.Registrar.MaxExpires),
		registrar.WithPurgeInterval(s.cfg.Registrar.PurgeInterval),
		registrar.WithRealm(s.cfg.DefaultRealm().Name),
		registrar.WithRealmFor(func(aor string) string { sub, _ := s.subscriber(aor); return sub.Realm }),
		registrar.WithAORExists(func(aor string) bool { _, ok := s.subscriber(aor); return ok }),
	}
	for _, sub := range s.dir.All() {
		if len(sub.Contacts) > 0 {
			opts = append(opts, registrar.WithStatic(sub.Number, sub.Contacts...))
		}
	}
	s.reg, err = registrar.New(st, auth, opts...)
	return err
}

// nonceSecretName names the generated digest nonce key in the store.
const nonceSecretName = "digest-nonce"

// nonceSecret is the HMAC key of digest nonces: auth.nonce_secret when set
// (shared by every node configured with it), else a random key generated at
// the first start and kept in the store, so that nonces survive a restart.
func (s *Server) nonceSecret(ctx context.Context) ([]byte, error) {
	if sec := s.cfg.Auth.NonceSecret.Reveal(); sec != nil {
		return sec, nil
	}
	return store.Secret(ctx, s.db, nonceSecretName, 32)
}

type credentials struct{ s *Server }

// Password implements digestauth.Credentials from the subscriber table.
func (c credentials) Password(realm, user string) (string, bool) {
	sub, ok := c.s.subscriber(user)
	if !ok || sub.Password == "" {
		return "", false
	}
	want := sub.Realm
	if want == "" {
		want = c.s.cfg.DefaultRealm().Name
	}
	return sub.Password, want == realm
}

// HostOnlyURI implements digestauth.HostURIChecker: subscribers[].digest_uri.
func (c credentials) HostOnlyURI(_, user string) bool {
	sub, ok := c.s.subscriber(user)
	return ok && sub.DigestURI == config.DigestURIHost
}

func (s *Server) initCalls() error {
	m, err := call.New(call.Deps{
		Sender: s.sip,
		Policy: call.Funcs{ClassifyFunc: s.classifyWithTimers, RouteFunc: s.routeWithTimers, InDialogFunc: s.inDialog, OnFailureFunc: s.failedWithTimers,
			OnAnswerFunc: s.onAnswer, OnHangupFunc: s.onHangup},
		Local: s.local,
		CDR:   countingCDR{CDRStore: s.cdrs, calls: s.metrics.calls},
		Token: s.token,
	}, append([]call.Option{
		call.WithMedia(s.media.Seam),
		call.WithClock(s.clock),
		call.WithLogger(s.log.With("component", "call")),
		call.WithTimers(call.Timers{T1: s.cfg.SIP.T1, T2: s.cfg.SIP.T2, NoAnswer: s.cfg.Call.NoAnswerTimeout, ShutdownGrace: s.cfg.Call.ShutdownGrace}),
		call.WithRel100Offer(s.cfg.Call.Offer100rel),
		call.WithSessionTimer(sessionTimer(s.cfg.SIP.SessionTimers)),
	}, s.callOpts...)...)
	if err != nil {
		return err
	}
	s.calls = m
	s.sip.HandleReplayed(sip.REGISTER, s.handleRegister)
	s.sip.Handle(sip.INVITE, m.HandleInvite)
	s.sip.Handle(sip.ACK, m.HandleAck)
	// Every non-INVITE request is answered through sipx.Replay: over UDP
	// its transaction ends with the final response, whose bytes answer the
	// retransmissions (64*T1) instead of a sipgo transaction kept as long.
	s.sip.HandleReplayed(sip.BYE, m.HandleBye)
	s.sip.Handle(sip.CANCEL, m.HandleCancel) // matched by sipgo to its INVITE: never replayed
	s.sip.HandleReplayed(sip.OPTIONS, m.HandleOptions)
	for _, method := range append([]sip.RequestMethod{sip.UPDATE, sip.INFO, sip.PRACK}, sipx.InDialogOnly...) {
		s.sip.HandleReplayed(method, m.HandleInDialog)
	}
	return nil
}

// onHangup is Policy.OnHangup: the call's peer slots are freed and its
// recording, if any, finished.
func (s *Server) onHangup(ctx context.Context, e call.Ended) {
	s.releaseCall(e.Record.CallID)
	s.stopRecording(ctx, e)
	s.huntEnded(e)
	s.lineEnded(e) // the lines, and call back on busy (callback.go)
	s.blf.ended(e.Record.CallID)
	s.presents.end(e.Record.CallID)
	s.threewayEnded(e)
}

// onAnswer is Policy.OnAnswer: the call's recording starts, a hunt group
// learns which member took the call.
func (s *Server) onAnswer(ctx context.Context, a call.Answered) {
	s.startRecording(ctx, a)
	s.huntAnswered(a)
	s.lineAnswered(a)
	s.blfAnswered(a)
	s.threewayAnswered(a)
}

func (s *Server) handleRegister(ctx context.Context, req *sip.Request, tx sipx.Tx) error {
	res := s.reg.Handle(ctx, req)
	s.metrics.register(res.StatusCode)
	return tx.Respond(res)
}

// authenticate identifies the caller of an INVITE: a trunk (peers[]) or
// a trusted peer by its source address, anyone else by digest (407 challenge, 403 on bad
// credentials or a From user other than the authenticated one).
func (s *Server) authenticate(ctx context.Context, req *sip.Request) (call.Caller, error) {
	if c, ok := agentCaller(ctx); ok {
		return c, nil // the PBX's own call (callback_agent.go)
	}
	if p, ok := s.inboundPeer(req.Source()); ok {
		return s.trunkCaller(p, req), nil // a trunk by its acl (trunkin.go)
	}
	from := req.From().Address.User
	if ap, err := netip.ParseAddrPort(req.Source()); err == nil {
		for _, p := range s.trusted {
			if p.Contains(ap.Addr().Unmap()) {
				return call.Caller{Number: from, Trusted: true}, nil
			}
		}
	}
	user, _, err := s.auth.Verify(req, true)
	switch {
	case err == nil:
		if user != from {
			return call.Caller{}, &sipx.StatusError{Code: 403, Reason: "Forbidden", Err: fmt.Errorf("authenticated %s calling as %s: %w", user, from, sipx.ErrForbidden)}
		}
		return call.Caller{Number: user}, nil
	case errors.Is(err, digestauth.ErrNoCredentials), errors.Is(err, digestauth.ErrStaleNonce), errors.Is(err, digestauth.ErrBadNonce), errors.Is(err, digestauth.ErrUnknownRealm):
		realm := s.cfg.DefaultRealm().Name
		if sub, ok := s.subscriber(from); ok && sub.Realm != "" {
			realm = sub.Realm
		}
		ch := s.auth.Challenge(req, realm, true, errors.Is(err, digestauth.ErrStaleNonce))
		return call.Caller{}, &sipx.StatusError{Code: ch.StatusCode, Reason: ch.Reason, Headers: ch.GetHeaders("Proxy-Authenticate"), Err: err}
	case errors.Is(err, digestauth.ErrURIMismatch):
		// RFC 2617 §3.2.2.5: not a credentials problem a new challenge fixes
		return call.Caller{}, &sipx.StatusError{Code: 400, Reason: "Bad Request (digest uri is not the Request-URI)", Err: err}
	default:
		return call.Caller{}, &sipx.StatusError{Code: 403, Reason: "Forbidden", Err: err}
	}
}

// onTargetsFailed is Policy.OnFailure: a 3xx the callee's subscriber wants
// followed is followed; else the callee's mailbox takes the
// call (voicemail on busy / no answer), else the caller hears the
// failure's prompt (call interception).
func (s *Server) onTargetsFailed(ctx context.Context, f call.Failure) (*call.Decision, error) {
	if f.Call != nil && f.Call.Decision().Kind == call.ToRoute {
		return s.routeFailed(f), nil // a carrier's 503 never reaches the phone
	}
	if d, err := s.huntOverflow(ctx, f); d != nil || err != nil {
		return d, err // nobody in the hunt group took the call
	}
	if d := s.followRedirect(ctx, f); d != nil {
		return d, nil // a callee's 3xx its subscriber wants followed
	}
	if d, err := s.forwardOnFailure(ctx, f); d != nil || err != nil {
		return d, err // call forwarding on busy, no reply, unreachable (forward.go)
	}
	if d, err := s.voicemailOnFailure(ctx, f); d != nil || err != nil {
		return d, err
	}
	return s.onFailure(ctx, f)
}

// route is number analysis with the call services around it
// (services.go): the services' Dialled point (feature codes, abbreviated
// dialling), number analysis, their Routed point (call authority,
// inter-group restriction), then a dialled subscriber number rings its
// contacts (or redirects, per the subscriber's redirect setting), a route
// goes out; any other number is vacant (404).
func (s *Server) route(ctx context.Context, in call.Incoming) (call.Decision, error) {
	if d, ok := s.routeReplaces(in); ok {
		return d, nil // an INVITE with Replaces (transfer_replaces.go)
	}
	if d, ok := s.routePickup(ctx, in); ok {
		return d, nil // *8#, *8*<num># (pickup.go)
	}
	if d, ok := s.routeHotline(ctx, in); ok {
		return d, nil // the off-hook number of a delayed hotline (hotline.go)
	}
	if d, ok := s.routeNotification(ctx, in); ok {
		return d, nil // a group notification's access code (notification.go)
	}
	if d, ok := s.routePark(in); ok {
		return d, nil // *6*<slot>#, *6 (park.go)
	}
	sc := s.serviceCall(in)
	if d, done, err := s.servicesDialled(ctx, &in, sc); done {
		return d, err
	}
	if d, ok := s.routeIntervention(ctx, in); ok {
		return d, nil // *89*<num>#, *89# (intervention.go)
	}
	a, dialled, aerr := s.analyse(in)
	in.Dialled = dialled
	if aerr == nil {
		if d, done, err := s.servicesRouted(ctx, in, a, sc); done {
			return d, err
		}
	}
	if d, ok, err := s.routeHunt(ctx, in, a, aerr); ok {
		return d, err
	}
	if d, ok := s.routeIVR(in); ok {
		return d, nil
	}
	if d, ok := s.conferenceRoute(in); ok {
		return d, nil
	}
	if d, ok := s.routeVoicemail(in); ok {
		return d, nil
	}
	if aerr != nil {
		return call.Decision{Kind: call.Reject, Err: analysisError(a.result, aerr)}, nil
	}
	if a.result.Kind == numbering.Route {
		return s.routeOut(ctx, in, a), nil
	}
	if a.result.Kind != numbering.Subscriber {
		if d, ok := s.serviceNumber(in, a.result); ok {
			return d, nil
		}
		s.log.Info("number analysis: destination not served yet", "dialled", in.Dialled, "kind", a.result.Kind.String(), "target", a.result.Target)
		return notYet(a.result), nil
	}
	sub, ok := s.subscriber(a.result.Target)
	if !ok {
		return call.Decision{Kind: call.Reject, Err: sipx.ErrNotFound}, nil
	}
	d, ring, done, err := s.terminating(ctx, in, sc, sub.Number) // forwarding, DND (forward.go)
	if done {
		return d, err
	}
	targets, err := s.locate(ctx, sub.Number)
	if err != nil {
		return call.Decision{}, err
	}
	targets, down := s.reachableTargets(targets)
	if len(targets) == 0 && down != "" {
		// fail fast: the peer does not answer its OPTIONS
		return call.Decision{Kind: call.Reject, Callee: sub.Number, Err: &sipx.StatusError{Code: 503, Reason: "Service Unavailable",
			Err: fmt.Errorf("route %s: peer %s: %w", sub.Number, down, ErrPeerUnreachable)}}, nil
	}
	d = call.Decision{Kind: call.ToSubscriber, Callee: sub.Number, Targets: targets, NoReply: ring}
	if a.calling != in.Caller.Number {
		d.Calling = a.calling
	}
	return s.redirectRole(sub, d)
}

// redirectRole answers as a redirect server when the subscriber (or
// call.redirect) says so.
func (s *Server) redirectRole(sub config.Subscriber, d call.Decision) (call.Decision, error) {
	targets := d.Targets
	if code := s.cfg.RedirectFor(sub).StatusCode(); code == 301 || code == 302 {
		if len(targets) == 0 {
			return call.Decision{Kind: call.Reject, Callee: sub.Number, Err: sipx.ErrUnavailable}, nil
		}
		d.Kind, d.Code = call.Redirect, code
	}
	return d, nil
}

// locate turns the subscriber's bindings into targets; a binding behind NAT
// is reached at the address its REGISTER came from (RFC 3581), a binding
// registered over TCP over that connection, and not at all once it closed
// (reachable). A host name (a static contact at a carrier) is located by
// DNS (RFC 3263, dns.go): a binding that does not resolve is left out with
// a log line saying why, and when none is left the error is a 503 naming
// the DNS cause.
func (s *Server) locate(ctx context.Context, number string) ([]call.Target, error) {
	bs, err := s.reg.Lookup(ctx, number)
	if err != nil {
		return nil, fmt.Errorf("locate %s: %w", number, err)
	}
	out := make([]call.Target, 0, len(bs))
	var dnsErr error
	for _, b := range bs {
		if !s.reachable(b) {
			s.log.Info("binding's TCP connection is closed; not tried", "aor", number, "contact", b.Contact, "remote", b.Received)
			continue
		}
		var u sip.Uri
		if err := sip.ParseUri(b.Target(), &u); err != nil {
			s.log.Warn("bad binding", "aor", number, "contact", b.Contact, "error", err)
			continue
		}
		transport := strings.ToLower(b.Transport)
		if t := uriTransport(u); t != "" && transport == "" {
			transport = t
		}
		if b.Static && uriTransport(u) == "" {
			transport = "" // a static contact without ;transport=: NAPTR decides (RFC 3263 §4.1)
		} else if transport == "" {
			transport = "udp"
		}
		var contact sip.Uri
		if err := sip.ParseUri(b.Contact, &contact); err != nil {
			contact = u
		}
		t, err := s.resolveTarget(ctx, call.Target{URI: u, Contact: contact}, transport)
		if err != nil {
			s.log.Warn("contact does not resolve", "aor", number, "contact", b.Contact, "error", err)
			dnsErr = err
			continue
		}
		out = append(out, t)
	}
	if len(out) == 0 && dnsErr != nil {
		return nil, unresolvable(number, dnsErr)
	}
	return out, nil
}
