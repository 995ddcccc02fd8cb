// Package vnet runs the real PBX and real simulated phones on an in-memory
// network (internal/memnet), so that a test can run them inside a
// testing/synctest bubble in virtual time: a 60 s no-answer timer or an
// hour of registration refreshes takes milliseconds. See
// docs/VIRTUAL_TIME.md.
//
//	synctest.Test(t, func(t *testing.T) {
//		h := vnet.Start(t, nil) // demo configuration
//		a, b := h.Phone("1000"), h.Phone("1001")
//		c, err := a.Dial(t.Context(), "1001")
//		...
//	})
//
// Everything Start and the Harness create is closed by t's cleanups, in
// reverse order of creation (phones before the PBX). The harness also works
// outside a bubble, in real time, on the same in-memory network.
//
// The PBX listens on UDP only (TCP cannot run on the in-memory network:
// sipgo dials TCP itself), without admin listener; the phones are
// signalling-only (no RTP sockets, no audio checks). It does not import
// testing: it takes the TB subset it needs.
package vnet

import (
	"context"
	"log/slog"
	"net"
	"net/netip"
	"sync"

	"pbxlab/internal/memnet"
	"pbxlab/pbx"
	"pbxlab/pbx/config"
	"pbxlab/sim/phone"
)

// TB is the part of testing.TB the harness uses.
type TB interface {
	Helper()
	Cleanup(func())
	Fatalf(format string, args ...any)
	Errorf(format string, args ...any)
	Context() context.Context
}

// Harness is one PBX and its phones on one in-memory network.
type Harness struct {
	// Net is the in-memory network; anything can listen on it.
	Net *memnet.Network
	// PBX is the running server; Config its configuration (as adjusted:
	// UDP listen address only, no admin listener).
	PBX    *pbx.Server
	Config *config.Config
	// Addr is the PBX's SIP address (UDP).
	Addr netip.AddrPort

	t    TB
	opts options
	stop context.CancelFunc
	done chan error

	mu     sync.Mutex
	nextIP netip.Addr
}

// Start builds a network, runs a PBX with cfg on it (the demo configuration
// when nil; cfg is modified: sip.listen becomes the PBX address, UDP only,
// admin.listen is cleared, store.path is set as WithStore says,
// store.commit_delay is 0, and media.anchor is direct and media.timeout off
// unless WithMedia) and registers the cleanup that stops it. It fails t if the PBX does not start.
func Start(t TB, cfg *config.Config, opts ...Option) *Harness {
	t.Helper()
	o := options{pbxAddr: netip.MustParseAddrPort("127.0.0.1:5060"), log: slog.New(slog.DiscardHandler)}
	for _, f := range opts {
		f(&o)
	}
	if cfg == nil {
		cfg = config.Demo()
	}
	h := &Harness{
		Net:    memnet.New(o.network...),
		Config: cfg,
		t:      t,
		opts:   o,
		done:   make(chan error, 1),
	}
	h.nextIP = netip.MustParseAddr("10.0.0.1") // phones: 10.0.0.1, 10.0.0.2, ...
	if o.pbxAddr.Addr().Is6() {
		h.nextIP = netip.MustParseAddr("fd00::1")
	}
	cfg.SIP.Listen = []string{config.ListenAddr{Transport: config.TransportUDP, AddrPort: o.pbxAddr}.String()}
	cfg.Admin.Listen = ""
	cfg.Store.Path = o.store
	// The group-commit window is a timer that a REGISTER waits for while
	// it holds its AOR's lock; in a synctest bubble the REGISTERs queued
	// on that sync.Mutex are not durably blocked, so virtual time would
	// never reach the timer (the stall TestVirtualBusyHour hit), and the
	// window would add virtual time to exact timings besides.
	cfg.Store.CommitDelay = 0
	if !o.media {
		cfg.Media.Anchor, cfg.Media.Timeout = config.AnchorDirect, 0
	}
	pbxOpts := append([]pbx.Option{pbx.WithLogger(o.log.With("side", "pbx")), pbx.WithPacketListener(h.Net.ListenPacket)}, o.pbx...)
	srv, err := pbx.New(cfg, pbxOpts...)
	if err != nil {
		t.Fatalf("start virtual pbx: %v", err)
		return nil
	}
	h.PBX = srv
	h.Addr, _ = srv.Addr(config.TransportUDP)
	ctx, cancel := context.WithCancel(context.Background())
	h.stop = cancel
	go func() { h.done <- srv.Run(ctx) }()
	t.Cleanup(h.close)
	return h
}

// close stops the PBX gracefully (calls still up get BYE after the grace
// period, in virtual time inside a bubble) and waits for it.
func (h *Harness) close() {
	h.settle()
	h.stop()
	if err := <-h.done; err != nil {
		h.t.Errorf("virtual pbx: %v", err)
	}
}

// Target is the PBX's SIP address as "host:port".
func (h *Harness) Target() string { return h.Addr.String() }

// ListenPacket opens a socket on the network (net.ListenPacket's
// signature), e.g. for a raw test UA; the caller closes it.
func (h *Harness) ListenPacket(network, address string) (net.PacketConn, error) {
	return h.Net.ListenPacket(network, address)
}

// Listen opens a socket on the network at addr ("ip:port"; port 0 picks a
// free port; "" picks a fresh address of the PBX's family) and closes it at
// cleanup. It fails t on error.
func (h *Harness) Listen(addr string) net.PacketConn {
	h.t.Helper()
	if addr == "" {
		addr = netip.AddrPortFrom(h.NextIP(), 0).String()
	}
	pc, err := h.Net.ListenPacket("udp", addr)
	if err != nil {
		h.t.Fatalf("listen %s: %v", addr, err)
		return nil
	}
	h.t.Cleanup(func() {
		h.settle()
		_ = pc.Close()
	})
	return pc
}

// NextIP returns a fresh host address of the PBX's family (10.0.0.1,
// 10.0.0.2, ... or fd00::1, ...), never handed out before by this Harness.
func (h *Harness) NextIP() netip.Addr {
	h.mu.Lock()
	defer h.mu.Unlock()
	ip := h.nextIP
	h.nextIP = ip.Next()
	return ip
}

// NewAgent starts a signalling-only phone Agent on the network, aimed at
// the PBX (cfg.Target, ListenPacket and SignallingOnly are set; LocalIP
// defaults to NextIP()), closed at cleanup. Use it to host many phones on
// one socket; Phone is the one-phone shortcut.
func (h *Harness) NewAgent(cfg phone.Config, opts ...phone.Option) *phone.Agent {
	h.t.Helper()
	if !cfg.LocalIP.IsValid() {
		cfg.LocalIP = h.NextIP()
	}
	if cfg.Target == "" {
		cfg.Target = h.Target()
	}
	cfg.Transport = phone.UDP
	cfg.ListenPacket = h.Net.ListenPacket
	cfg.SignallingOnly = true
	opts = append([]phone.Option{phone.WithLogger(h.opts.log.With("side", "phones", "ip", cfg.LocalIP))}, opts...)
	ag, err := phone.NewAgent(cfg, opts...)
	if err != nil {
		h.t.Fatalf("start virtual agent %s: %v", cfg.LocalIP, err)
		return nil
	}
	h.t.Cleanup(func() {
		h.settle()
		if err := ag.Close(); err != nil {
			h.t.Errorf("close agent %s: %v", cfg.LocalIP, err)
		}
	})
	return ag
}

func (h *Harness) settle() {
	if h.opts.settle != nil {
		h.opts.settle()
	}
}

// Password returns the configured password of subscriber number ("" if none).
func (h *Harness) Password(number string) string {
	for _, s := range h.Config.Subscribers() {
		if s.Number == number {
			return s.Password
		}
	}
	return ""
}
