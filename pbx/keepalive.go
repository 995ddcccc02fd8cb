package pbx

import (
	"context"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/pbx/config"
	"pbxlab/pbx/internal/sipx"
)

// runKeepalive sends an OPTIONS to every registered UDP contact every
// registrar.keepalive, spread over the interval, until ctx ends: the NAT in
// front of a phone sees traffic and keeps the mapping the PBX reaches the
// phone through (Kamailio's nathelper pings the same way). Answers are
// not needed; a contact that does not answer is only logged.
func (s *Server) runKeepalive(ctx context.Context) {
	every := s.cfg.Registrar.Keepalive
	if every <= 0 {
		return
	}
	next := s.clock.Now().Add(every)
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.clock.After(next.Sub(s.clock.Now())):
		}
		next = next.Add(every)
		bs, err := s.reg.Live(ctx)
		if err != nil {
			s.log.Warn("keepalive: list bindings", "error", err)
			continue
		}
		var udp []string
		for _, b := range bs {
			if strings.EqualFold(b.Transport, config.TransportUDP) {
				udp = append(udp, b.Target())
			}
		}
		gap := every / 2 / time.Duration(len(udp)+1) // over half the interval
		for i, target := range udp {
			if i > 0 && gap > time.Millisecond {
				select {
				case <-ctx.Done():
					return
				case <-s.clock.After(gap):
				}
			}
			s.ping(ctx, target)
		}
	}
}

// ping sends one keepalive OPTIONS to target (a registered contact, with
// the address its REGISTER came from) without waiting for the answer.
func (s *Server) ping(ctx context.Context, target string) {
	var u sip.Uri
	if err := sip.ParseUri(target, &u); err != nil {
		return
	}
	ip, err := netip.ParseAddr(strings.Trim(u.Host, "[]"))
	if err != nil {
		return // a name: not a NATed phone's address
	}
	port := u.Port
	if port == 0 {
		port = 5060
	}
	dest := netip.AddrPortFrom(ip, uint16(port))
	local, ok := s.local(config.TransportUDP, dest)
	if !ok {
		return
	}
	req := sip.NewRequest(sip.OPTIONS, u)
	req.AppendHeader(local.Via(s.token.Branch()))
	mf := sip.MaxForwardsHeader(70)
	req.AppendHeader(&mf)
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: "keepalive", Host: sipx.HostPort(local.Addr)}, Params: sip.NewParams()}
	from.Params.Add("tag", sipx.NewTag())
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: u, Params: sip.NewParams()})
	cid := sip.CallIDHeader(sipx.NewCallID())
	req.AppendHeader(&cid)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: 1, MethodName: sip.OPTIONS})
	req.SetBody(nil)
	local.Prepare(req, net.JoinHostPort(ip.String(), strconv.Itoa(port)))
	pctx, cancel := context.WithTimeout(ctx, 32*time.Second)
	tx, err := s.sip.Request(pctx, req)
	if err != nil {
		cancel()
		s.log.Debug("keepalive", "contact", target, "error", err)
		return
	}
	go func() {
		defer cancel()
		defer tx.Terminate()
		select {
		case res := <-tx.Responses():
			if res != nil {
				s.log.Debug("keepalive answered", "contact", target, "status", res.StatusCode)
			}
		case <-tx.Done():
			s.log.Debug("keepalive unanswered", "contact", target)
		case <-pctx.Done():
		}
	}()
}
