package sim

import (
	"net"
	"net/netip"

	"pbxlab/internal/clock"
	"pbxlab/sim/impair"
	"pbxlab/sim/scenario"
)

// impairedListen wraps the sockets listen opens (nil: net.ListenPacket) in
// the population's impairment (population.impairment), seeded from the
// scenario's seed; the NAT opens its bindings with listen too. Each
// impaired socket is handed to opened.
func impairedListen(listen func(network, address string) (net.PacketConn, error), im scenario.Impairment,
	seed int64, clk clock.Clock, opened func(*impair.Conn)) func(network, address string) (net.PacketConn, error) {
	if listen == nil {
		listen = net.ListenPacket
	}
	cfg := impair.Config{
		Loss:       float64(im.Loss),
		Delay:      im.Delay,
		Jitter:     im.Jitter,
		Duplicate:  float64(im.Duplicate),
		Reorder:    float64(im.Reorder),
		ReorderGap: im.ReorderGap,
		NAT:        impair.NAT{RebindAfter: im.NAT.RebindAfter, BindingTimeout: im.NAT.BindingTimeout},
	}
	return func(network, address string) (net.PacketConn, error) {
		pc, err := listen(network, address)
		if err != nil {
			return nil, err
		}
		c, err := impair.Wrap(pc, cfg, seed, impair.WithClock(clk), impair.WithListen(listen))
		if err != nil {
			_ = pc.Close()
			return nil, err
		}
		opened(c)
		return c, nil
	}
}

// routeTo returns the local address the OS would use to reach target (no
// packet is sent), or 127.0.0.1: what a phone.Agent picks by itself unless
// it is given a listen function.
func routeTo(target string) netip.Addr {
	loop := netip.AddrFrom4([4]byte{127, 0, 0, 1})
	c, err := net.Dial("udp", target)
	if err != nil {
		return loop
	}
	defer c.Close()
	ap, err := netip.ParseAddrPort(c.LocalAddr().String())
	if err != nil {
		return loop
	}
	return ap.Addr().Unmap()
}
