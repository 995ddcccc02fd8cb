package pbx

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
	"github.com/prometheus/client_golang/prometheus"

	"pbxlab/pbx/config"
	"pbxlab/pbx/internal/call"
	"pbxlab/pbx/internal/resolve"
	"pbxlab/pbx/internal/sipx"
)

// peer is an outbound peer (config peers[]) and what qualifying it found.
type peer struct {
	cfg config.Peer
	acl []config.ACLEntry // cfg.ACL parsed

	mu        sync.Mutex
	targets   []resolve.Target // the host located (RFC 3263), at the last qualify
	dnsErr    string           // why the last lookup failed ("" when it did not)
	reachable bool
	misses    int
	// backoff: a 503 with Retry-After said not to send before this time
	backoff time.Time
	// calls are the calls (the caller's Call-ID) a route has out to the
	// peer now; sent the times of its INVITEs in the last second (limits)
	calls map[string]bool
	sent  []time.Time
}

// Reachable reports whether the peer answered lately (always true when it
// is not qualified).
func (p *peer) Reachable() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.reachable
}

// has reports whether dest (IP:port) is one of the peer's servers.
func (p *peer) has(dest string) bool {
	ap, err := netip.ParseAddrPort(dest)
	if err != nil {
		return false
	}
	ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, t := range p.targets {
		if t.Addr == ap {
			return true
		}
	}
	// not located yet (a peer that is not qualified): an IP host is its
	// own server
	if ip, err := netip.ParseAddr(strings.Trim(p.cfg.Host, "[]")); err == nil && len(p.targets) == 0 {
		return netip.AddrPortFrom(ip.Unmap(), uint16(p.cfg.PeerPort())) == ap
	}
	return false
}

// hostPort is the peer's host for the resolver: with the configured port,
// if any (then A/AAAA only, RFC 3263 §4.2).
func (p *peer) hostPort() string { return hostPort(p.cfg.Host, p.cfg.Port) }

// initPeers builds the outbound peers and their pbxlab_peer_reachable
// gauges; a qualified peer's host is located at every qualify.
func (s *Server) initPeers() {
	for _, c := range s.cfg.Peers {
		p := &peer{cfg: c, reachable: true, acl: c.ACLEntries()}
		s.peers = append(s.peers, p)
		s.metrics.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "pbxlab_peer_reachable", Help: "1 when the outbound peer answers its OPTIONS qualify (or is not qualified), else 0.",
			ConstLabels: prometheus.Labels{"peer": c.Name},
		}, func() float64 {
			if p.Reachable() {
				return 1
			}
			return 0
		}))
	}
}

// PeerReachable reports whether the named peer answers its OPTIONS
// qualify (always true for a peer that is not qualified); ok is false for
// an unknown peer.
func (s *Server) PeerReachable(name string) (reachable, ok bool) {
	p, ok := s.peerNamed(name)
	if !ok {
		return false, false
	}
	return p.Reachable(), true
}

// unreachablePeer names the unreachable peer whose address dest is, if
// any: a call to it fails at once instead of waiting for Timer B.
func (s *Server) unreachablePeer(dest string) (string, bool) {
	for _, p := range s.peers {
		if p.has(dest) && !p.Reachable() {
			return p.cfg.Name, true
		}
	}
	return "", false
}

// locatePeer looks the peer's host up (RFC 3263; the resolver caches per
// TTL) and keeps the targets; a failed lookup keeps the last ones and is
// logged once per cause.
func (s *Server) locatePeer(ctx context.Context, p *peer) []resolve.Target {
	ctx, cancel := context.WithTimeout(ctx, resolveTimeout)
	defer cancel()
	ts, err := s.resolver.Lookup(ctx, p.hostPort(), p.cfg.Transport)
	p.mu.Lock()
	defer p.mu.Unlock()
	if err != nil {
		if p.dnsErr != err.Error() {
			s.log.Warn("peer host does not resolve", "peer", p.cfg.Name, "host", p.cfg.Host, "error", err)
		}
		p.dnsErr = err.Error()
		return p.targets
	}
	p.dnsErr = ""
	p.targets = ts
	return ts
}

// runQualify qualifies every peer that asks for it until ctx ends.
func (s *Server) runQualify(ctx context.Context) {
	var wg sync.WaitGroup
	for _, p := range s.peers {
		if p.cfg.Qualify <= 0 {
			continue
		}
		wg.Go(func() {
			for {
				s.qualify(ctx, p)
				select {
				case <-ctx.Done():
					return
				case <-s.clock.After(p.cfg.Qualify):
				}
			}
		})
	}
	wg.Wait()
}

// qualify sends an OPTIONS to p (answering a 401/407 once with p's
// credentials) and updates its state: any answer makes it reachable,
// cfg.Misses() unanswered ones in a row unreachable. The OPTIONS goes to
// the peer's servers in DNS order, on to the next while one does not
// answer or answers 503 (RFC 3263 §4.3). Changes are logged.
func (s *Server) qualify(ctx context.Context, p *peer) {
	answered, code := false, 0
	for _, t := range s.locatePeer(ctx, p) {
		if ctx.Err() != nil {
			return // shutting down: no OPTIONS, no verdict
		}
		res := s.qualifyOne(ctx, p, t)
		if res == nil {
			continue
		}
		answered, code = true, res.StatusCode
		if code != 503 {
			break
		}
	}
	if ctx.Err() != nil {
		return
	}
	p.mu.Lock()
	was := p.reachable
	if answered {
		p.misses, p.reachable = 0, true
	} else {
		p.misses++
		if p.misses >= p.cfg.Misses() {
			p.reachable = false
		}
	}
	now := p.reachable
	p.mu.Unlock()
	switch {
	case was && !now:
		s.log.Warn("peer unreachable", "peer", p.cfg.Name, "host", p.cfg.Host, "misses", p.cfg.Misses())
	case !was && now:
		s.log.Info("peer reachable", "peer", p.cfg.Name, "host", p.cfg.Host, "status", code)
	}
}

// qualifyOne sends the peer's OPTIONS to one of its servers; nil: no
// answer.
func (s *Server) qualifyOne(ctx context.Context, p *peer, t resolve.Target) *sip.Response {
	uri := sip.Uri{Scheme: "sip", Host: p.cfg.Host, Port: p.cfg.Port, UriParams: sip.NewParams(), Headers: sip.NewParams()}
	if _, err := netip.ParseAddr(strings.Trim(p.cfg.Host, "[]")); err == nil {
		uri.Port = p.cfg.PeerPort()
	}
	if t.Transport == config.TransportTCP {
		uri.UriParams.Add("transport", "tcp")
	}
	wait := min(p.cfg.Qualify, 32*time.Second)
	res, req := s.options(ctx, uri, t.Addr, t.Transport, wait, nil)
	if res != nil && (res.StatusCode == 401 || res.StatusCode == 407) && p.cfg.Username != "" {
		if h, v, err := answerChallenge(res, req, p.cfg.Username, p.cfg.Password); err == nil {
			res, _ = s.options(ctx, uri, t.Addr, t.Transport, wait, sip.NewHeader(h, v))
		}
	}
	return res
}

// options sends an OPTIONS to uri at dest (plus extra, e.g. credentials)
// and waits up to wait for its final response (nil: none); it returns the
// request too (a challenge is answered over it).
func (s *Server) options(ctx context.Context, uri sip.Uri, dest netip.AddrPort, transport string, wait time.Duration, extra sip.Header) (*sip.Response, *sip.Request) {
	local, ok := s.local(transport, dest)
	if !ok {
		return nil, nil
	}
	req := sip.NewRequest(sip.OPTIONS, uri)
	req.AppendHeader(local.Via(s.token.Branch()))
	mf := sip.MaxForwardsHeader(70)
	req.AppendHeader(&mf)
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: "pbxlab", Host: sipx.HostPort(local.Addr)}, Params: sip.NewParams()}
	from.Params.Add("tag", sipx.NewTag())
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: uri, Params: sip.NewParams()})
	cid := sip.CallIDHeader(sipx.NewCallID())
	req.AppendHeader(&cid)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: 1, MethodName: sip.OPTIONS})
	if extra != nil {
		req.AppendHeader(extra)
	}
	req.SetBody(nil)
	local.Prepare(req, net.JoinHostPort(dest.Addr().String(), strconv.Itoa(int(dest.Port()))))
	return s.transact(ctx, req, wait), req
}

// transact sends req (a request of the PBX's own, outside any dialog) and
// waits up to wait for its final response; nil: none.
func (s *Server) transact(ctx context.Context, req *sip.Request, wait time.Duration) *sip.Response {
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	tx, err := s.sip.Request(ctx, req)
	if err != nil {
		return nil
	}
	defer tx.Terminate()
	for {
		select {
		case res, ok := <-tx.Responses():
			if !ok {
				return nil
			}
			if res.StatusCode >= 200 {
				return res
			}
		case <-tx.Done():
			return nil
		case <-ctx.Done():
			return nil
		}
	}
}

// credentials answers the first challenge of res that the digest package
// can compute (RFC 3261 §22.2, RFC 8760) for req.
func answerChallenge(res *sip.Response, req *sip.Request, user, password string) (string, string, error) {
	in, out := "WWW-Authenticate", "Authorization"
	if res.StatusCode == 407 {
		in, out = "Proxy-Authenticate", "Proxy-Authorization"
	}
	for _, h := range res.GetHeaders(in) {
		chal, err := digest.ParseChallenge(h.Value())
		if err != nil || !digest.CanDigest(chal) {
			continue
		}
		cred, err := digest.Digest(chal, digest.Options{Method: string(req.Method), URI: req.Recipient.String(), Username: user, Password: password})
		if err != nil {
			continue
		}
		return out, cred.String(), nil
	}
	return "", "", fmt.Errorf("answer %d: %w", res.StatusCode, ErrNoChallenge)
}

// reachableTargets leaves out the targets at an unreachable peer's address;
// down names such a peer when one was left out.
func (s *Server) reachableTargets(ts []call.Target) (out []call.Target, down string) {
	for _, t := range ts {
		if name, bad := s.unreachablePeer(t.Dest); bad {
			down = name
			continue
		}
		out = append(out, t)
	}
	return out, down
}
