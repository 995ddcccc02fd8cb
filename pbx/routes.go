package pbx

import (
	"context"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/pbx/config"
	"pbxlab/pbx/internal/call"
	"pbxlab/pbx/internal/media"
	"pbxlab/pbx/internal/sipx"
)

// maxRetryAfter caps how long a peer's 503 Retry-After keeps it out of
// its routes: a carrier cannot take itself out for a day by mistake.
const maxRetryAfter = time.Hour

// initRoutes builds the routes; config validation made sure each names
// known peers.
func (s *Server) initRoutes() {
	s.outRoutes = make(map[string]*route, len(s.cfg.Routes))
	for _, r := range s.cfg.Routes {
		s.outRoutes[r.Name] = s.newRoute(r)
	}
}

// peerNamed returns the outbound peer called name.
func (s *Server) peerNamed(name string) (*peer, bool) {
	for _, p := range s.peers {
		if p.cfg.Name == name {
			return p, true
		}
	}
	return nil, false
}

// routeOut turns a number analysis result of kind route into a decision:
// the peers of the route's first schedule that matches now (else its
// own), in the order of its spread, one after another (each with its DNS servers as
// failover hops inside), the called number after substitution in the
// Request-URI, the peer's credentials for its challenges. Peers that
// qualify says are unreachable, or that asked for a pause with a 503's
// Retry-After, are skipped. Only subscribers and trusted peers route out
// (toll fraud: Classify challenged everybody else; this is the second
// lock), and a call that came in from a trunk only when the trunk's
// peers[].transit allows it. No peer left: 480, never 503 (RFC 3261 §16.7 (6): a 503 would
// tell the phone this PBX is overloaded).
func (s *Server) routeOut(ctx context.Context, in call.Incoming, a analysed) call.Decision {
	name := a.result.Target
	if _, sub := s.subscriber(in.Caller.Number); !sub && !in.Caller.Trusted {
		return call.Decision{Kind: call.Reject, Err: &sipx.StatusError{Code: 403, Reason: "Forbidden",
			Err: fmt.Errorf("route %s from %q: %w", name, in.Caller.Number, ErrTollFraud)}}
	}
	if p, ok := s.callerPeer(in.Caller); ok && !p.cfg.Transit {
		return call.Decision{Kind: call.Reject, Err: &sipx.StatusError{Code: 403, Reason: "Forbidden",
			Err: fmt.Errorf("route %s from trunk %s: %w", name, p.cfg.Name, ErrTransit)}}
	}
	r, ok := s.outRoutes[name]
	if !ok { // config validation refuses this; a Config changed in Go may not
		return call.Decision{Kind: call.Reject, Err: fmt.Errorf("route %q: %w", name, sipx.ErrNotFound)}
	}
	callID := in.Request.CallID().Value() // the call's ID (its CDR's, OnHangup's)
	set := r.at(s.clock.Now())
	if set.label != "" {
		s.log.Debug("route: schedule applies", "route", name, "schedule", set.label)
	}
	var targets []call.Target
	var skipped []string
	for _, pn := range set.order() {
		p, ok := s.peerNamed(pn)
		if !ok {
			continue
		}
		if why := s.peerSkipped(p); why != "" {
			skipped = append(skipped, pn+": "+why)
			continue
		}
		t, err := s.peerTarget(ctx, p, a.called)
		if err != nil {
			skipped = append(skipped, pn+": "+err.Error())
			continue
		}
		t.Progress = r.progress
		if p.cfg.MaxCalls > 0 || p.cfg.MaxCallsPerSecond > 0 {
			t.Admit = func() bool { return s.admitPeer(p, callID) }
		}
		targets = append(targets, t)
	}
	set.weighFirst(targets, s.spread)
	if len(skipped) > 0 {
		s.log.Info("route: peers skipped", "route", name, "called", a.called, "skipped", strings.Join(skipped, "; "))
	}
	if len(targets) == 0 {
		err := &sipx.StatusError{Code: 480, Reason: "Temporarily Unavailable",
			Err: fmt.Errorf("route %s (%s): %w", name, strings.Join(skipped, "; "), ErrNoRoutePeer)}
		return call.Decision{Kind: call.ToService, Callee: a.called, Service: s.congestion(func(c *call.Call) { c.Reject(err) })}
	}
	d := call.Decision{Kind: call.ToRoute, Callee: a.called, Targets: targets, Sequential: true,
		OnTargetFailure: func(t call.Target, res *sip.Response) bool {
			s.releasePeer(t.Peer, callID)
			return s.peerFailed(t, res)
		}}
	if a.calling != in.Caller.Number {
		d.Calling = a.calling
	}
	return d
}

// peerSkipped says why a route does not try p now ("" when it does).
func (s *Server) peerSkipped(p *peer) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case !p.reachable:
		return "unreachable (qualify)"
	case s.clock.Now().Before(p.backoff):
		return "503 Retry-After until " + p.backoff.UTC().Format(time.RFC3339)
	}
	return ""
}

// peerTarget is the target of a call to number at peer p: sip:number@host
// (the peer's port when its host is an IP, ;transport=tcp when set),
// located by RFC 3263 DNS.
func (s *Server) peerTarget(ctx context.Context, p *peer, number string) (call.Target, error) {
	uri := sip.Uri{Scheme: "sip", User: number, Host: p.cfg.Host, Port: p.cfg.Port, UriParams: sip.NewParams(), Headers: sip.NewParams()}
	if _, err := netip.ParseAddr(strings.Trim(p.cfg.Host, "[]")); err == nil {
		uri.Port = p.cfg.PeerPort()
	}
	if p.cfg.Transport != "" {
		uri.UriParams.Add("transport", p.cfg.PeerTransport())
	}
	t := call.Target{URI: uri, Contact: uri, Peer: p.cfg.Name}
	if p.cfg.Username != "" {
		t.Credentials = &call.Credentials{User: p.cfg.Username, Password: p.cfg.Password}
	}
	t, err := s.resolveTarget(ctx, t, strings.ToLower(p.cfg.Transport))
	if err != nil {
		return t, fmt.Errorf("peer %s: %w", p.cfg.Name, err)
	}
	return t, nil
}

// peerFailed is a route decision's OnTargetFailure: a 503 with
// Retry-After keeps the peer out of routes for that long (at most
// maxRetryAfter); the next peer is tried when this one timed out or
// answered 408 or 5xx, or a 401/407 its credentials did not satisfy, and
// not after any other refusal (486 busy, 404, a 6xx: another carrier
// would say the same). A status of no class (700 and up: garbage) fails
// over too.
func (s *Server) peerFailed(t call.Target, res *sip.Response) bool {
	if res.StatusCode == 503 {
		if h := res.GetHeader("Retry-After"); h != nil {
			if d, ok := retryAfter(h.Value()); ok && d > 0 {
				if p, ok := s.peerNamed(t.Peer); ok {
					p.mu.Lock()
					p.backoff = s.clock.Now().Add(min(d, maxRetryAfter))
					p.mu.Unlock()
					s.log.Info("peer backs off (503 Retry-After)", "peer", t.Peer, "for", min(d, maxRetryAfter))
				}
			}
		}
	}
	switch {
	case res.StatusCode == 401 || res.StatusCode == 407: // a challenge the call layer could not answer: the peer's fault, not the callee's
		s.log.Warn("peer refused the PBX's credentials (or the PBX has none for it)", "peer", t.Peer, "status", res.StatusCode)
		return true
	case nonsenseStatus(res.StatusCode):
		s.log.Warn("peer answered a status of no class (RFC 3261 §7.2: 1xx-6xx)", "peer", t.Peer, "status", res.StatusCode)
		return true
	}
	return res.StatusCode == 408 || res.StatusCode >= 500 && res.StatusCode < 600
}

// retryAfter parses a Retry-After value (RFC 3261 §20.33: delta-seconds,
// then an optional comment and parameters).
func retryAfter(v string) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	end := 0
	for end < len(v) && v[end] >= '0' && v[end] <= '9' {
		end++
	}
	if end == 0 || end > 10 {
		return 0, false
	}
	n, err := strconv.ParseUint(v[:end], 10, 32)
	if err != nil {
		return 0, false
	}
	return time.Duration(n) * time.Second, true
}

// congestion is the service that refuses a route's call no carrier could
// take: the congestion prompt first when media.prompts has one (by
// default none), never the prompt of the status (480 would play "not
// registered").
func (s *Server) congestion(refuse func(*call.Call)) func(*call.Call) {
	if s.media != nil {
		if svc := s.media.Intercept(config.CauseCongestion, refuse); svc != nil {
			return svc
		}
	}
	return refuse
}

// routeFailed is Policy.OnFailure for a route's call: the failure as
// routeFailure maps it; when the PBX replaced the carriers' response (no
// carrier could take the call) the caller hears the congestion prompt,
// else the prompt of the carrier's own refusal (busy, vacant ...) unless
// the far end announced it already in early media (a second announcement
// after the far end's would only delay the failure).
func (s *Server) routeFailed(f call.Failure) *call.Decision {
	mapped := routeFailure(f)
	refuse := func(c *call.Call) { c.Fail(mapped) }
	if mapped.Response != f.Response {
		return &call.Decision{Kind: call.ToService, Service: s.congestion(refuse)}
	}
	if s.media != nil && !f.Call.FarEarlyMedia() { // a far end's announcement is not announced twice
		if svc := s.media.Intercept(media.CauseOfFailure(mapped), refuse); svc != nil {
			return &call.Decision{Kind: call.ToService, Service: svc}
		}
	}
	return nil // the carrier's refusal reaches the caller as it is
}

// routeFailure is what the caller of a route that failed gets: a
// carrier's 503 becomes 500 (RFC 3261 §16.7 (6): a 503 upstream would say
// this PBX is overloaded), and no answer from any peer (the transaction's
// own 408, or its 503 for a transport error) becomes 480 Temporarily
// Unavailable; a peer's 401/407 the PBX could not answer becomes 500 too
// (its challenge is not the phone's to answer); a status of no class
// (7xx-9xx) or a 2xx the call layer refused (its own 488: broken SDP, no
// To tag) becomes 502 Bad Gateway (RFC 3261 §21.5.3: an invalid response
// from downstream). Other failures (486, 404,
// 500, 6xx ...) pass unchanged.
func routeFailure(f call.Failure) call.Failure {
	switch r := f.Response; {
	case r == nil:
		f.Kind, f.Response = call.Unreachable, sip.NewResponse(480, "Temporarily Unavailable")
	case r.Source() == "" && (r.StatusCode == 408 || r.StatusCode == 503):
		f.Kind, f.Response = call.NoAnswer, sip.NewResponse(480, "Temporarily Unavailable")
	case r.StatusCode == 503:
		f.Kind, f.Response = call.Rejected, sip.NewResponse(500, "Server Internal Error")
	case r.StatusCode == 401 || r.StatusCode == 407:
		// the carrier's challenge is the PBX's business: relayed, the phone
		// would answer it with its own credentials
		f.Kind, f.Response = call.Rejected, sip.NewResponse(500, "Server Internal Error")
	case nonsenseStatus(r.StatusCode), brokenAnswer(r):
		// garbage from the carrier: a status of no class, or a 2xx the
		// call layer refused (it broke offer/answer or made no dialog,
		// and was ACKed and BYEd), is an invalid response from downstream
		f.Kind, f.Response = call.Rejected, sip.NewResponse(502, "Bad Gateway")
	}
	return f
}

// brokenAnswer reports whether r is the call layer's stand-in for a 2xx
// it ACKed and BYEd because it broke offer/answer or made no dialog: a
// 488 of its own (no source address) with a Warning saying why; its 488
// for a call it could not even bridge has none.
func brokenAnswer(r *sip.Response) bool {
	return r.Source() == "" && r.StatusCode == 488 && r.GetHeader("Warning") != nil
}

// nonsenseStatus reports whether a final status has no class of RFC 3261
// §7.2 (the parser takes any three digits).
func nonsenseStatus(code int) bool { return code > 699 }

// admitPeer takes one of p's call slots for the call callID, unless p
// has MaxCalls calls out already or sent MaxCallsPerSecond INVITEs in the
// last second (Target.Admit, on the call's executor just before the
// INVITE). The slot is released when the peer fails (releasePeer) or the
// call ends (releaseCall).
func (s *Server) admitPeer(p *peer, callID string) bool {
	now := s.clock.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	if limit := p.cfg.MaxCalls; limit > 0 && len(p.calls) >= limit && !p.calls[callID] {
		s.log.Info("peer at its limit of calls: skipped", "peer", p.cfg.Name, "max_calls", limit)
		return false
	}
	if limit := p.cfg.MaxCallsPerSecond; limit > 0 {
		keep := p.sent[:0]
		for _, t := range p.sent {
			if now.Sub(t) < time.Second {
				keep = append(keep, t)
			}
		}
		p.sent = keep
		if len(p.sent) >= limit {
			s.log.Info("peer at its limit of calls per second: skipped", "peer", p.cfg.Name, "max_calls_per_second", limit)
			return false
		}
		p.sent = append(p.sent, now)
	}
	if p.calls == nil {
		p.calls = map[string]bool{}
	}
	p.calls[callID] = true
	return true
}

// releasePeer frees the slot the call callID holds at the named peer.
func (s *Server) releasePeer(name, callID string) {
	if p, ok := s.peerNamed(name); ok {
		p.mu.Lock()
		delete(p.calls, callID)
		p.mu.Unlock()
	}
}

// releaseCall frees every peer slot of a call that ended (Policy.OnHangup).
func (s *Server) releaseCall(callID string) {
	for _, p := range s.peers {
		p.mu.Lock()
		delete(p.calls, callID)
		p.mu.Unlock()
	}
}
