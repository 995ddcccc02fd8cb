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
	"pbxlab/pbx/internal/sipx"
)

// peer is an outbound peer (config peers[]) and what qualifying it found.
type peer struct {
	cfg config.Peer

	mu        sync.Mutex
	addrs     []netip.Addr // the host resolved
	reachable bool
	misses    int
}

// Reachable reports whether the peer answered lately (always true when it
// is not qualified).
func (p *peer) Reachable() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.reachable
}

// has reports whether dest (host:port) is one of the peer's addresses.
func (p *peer) has(dest string) bool {
	host, port, err := net.SplitHostPort(dest)
	if err != nil || port != strconv.Itoa(p.cfg.PeerPort()) {
		return false
	}
	if strings.EqualFold(host, strings.Trim(p.cfg.Host, "[]")) {
		return true
	}
	ap, err := netip.ParseAddrPort(dest)
	if err != nil {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, a := range p.addrs {
		if a == ap.Addr().Unmap() {
			return true
		}
	}
	return false
}

// initPeers builds the outbound peers, resolving their hosts (a name
// that does not resolve yet is retried at every qualify), and their
// pbxlab_peer_reachable gauges.
func (s *Server) initPeers() {
	for _, c := range s.cfg.Peers {
		p := &peer{cfg: c, reachable: true}
		p.addrs, _ = resolveHost(context.Background(), c.Host)
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

// resolveHost returns host's addresses: itself when it is an IP.
func resolveHost(ctx context.Context, host string) ([]netip.Addr, error) {
	if ip, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		return []netip.Addr{ip.Unmap()}, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil, fmt.Errorf("resolve peer host %s: %w", host, err)
	}
	out := make([]netip.Addr, len(ips))
	for i, ip := range ips {
		out[i] = ip.Unmap()
	}
	return out, nil
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

// qualify sends one OPTIONS to p (answering a 401/407 once with p's
// credentials) and updates its state: any answer makes it reachable,
// cfg.Misses() unanswered ones in a row unreachable. Changes are logged.
func (s *Server) qualify(ctx context.Context, p *peer) {
	if addrs, err := resolveHost(ctx, p.cfg.Host); err == nil {
		p.mu.Lock()
		p.addrs = addrs
		p.mu.Unlock()
	}
	p.mu.Lock()
	addrs := p.addrs
	p.mu.Unlock()
	answered, code := false, 0
	if len(addrs) > 0 {
		dest := netip.AddrPortFrom(addrs[0], uint16(p.cfg.PeerPort()))
		uri := sip.Uri{Scheme: "sip", Host: p.cfg.Host, Port: p.cfg.PeerPort(), UriParams: sip.NewParams(), Headers: sip.NewParams()}
		if p.cfg.PeerTransport() == config.TransportTCP {
			uri.UriParams.Add("transport", "tcp")
		}
		wait := min(p.cfg.Qualify, 32*time.Second)
		res, req := s.options(ctx, uri, dest, p.cfg.PeerTransport(), wait, nil)
		if res != nil && (res.StatusCode == 401 || res.StatusCode == 407) && p.cfg.Username != "" {
			if h, v, err := answerChallenge(res, req, p.cfg.Username, p.cfg.Password); err == nil {
				res, _ = s.options(ctx, uri, dest, p.cfg.PeerTransport(), wait, sip.NewHeader(h, v))
			}
		}
		if res != nil {
			answered, code = true, res.StatusCode
		}
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
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	tx, err := s.sip.Request(ctx, req)
	if err != nil {
		return nil, req
	}
	defer tx.Terminate()
	for {
		select {
		case res, ok := <-tx.Responses():
			if !ok {
				return nil, req
			}
			if res.StatusCode >= 200 {
				return res, req
			}
		case <-tx.Done():
			return nil, req
		case <-ctx.Done():
			return nil, req
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
