package sim

import (
	"encoding/binary"
	"hash/fnv"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"pbxlab/internal/clock"
	"pbxlab/sim/impair"
	"pbxlab/sim/phone"
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
	cfg := impairConfig(im)
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

// impairConfig is the impairment of a population's signalling socket.
func impairConfig(im scenario.Impairment) impair.Config {
	return impair.Config{
		Loss:       float64(im.Loss),
		Delay:      im.Delay,
		Jitter:     im.Jitter,
		Duplicate:  float64(im.Duplicate),
		Reorder:    float64(im.Reorder),
		ReorderGap: im.ReorderGap,
		NAT:        impair.NAT{RebindAfter: im.NAT.RebindAfter, BindingTimeout: im.NAT.BindingTimeout},
	}
}

// impairedMedia opens the phones' RTP sockets with listen (nil:
// net.ListenPacket) and wraps each in the population's impairment, both
// directions, without the NAT (which is the signalling socket's). Each
// stream draws from its own seed (mixSeed): the nth stream of a phone
// meets the same fate in every run with the scenario's seed, whatever the
// other phones do. The counters of each socket are handed to closed when
// it closes.
func impairedMedia(listen func(network, address string) (net.PacketConn, error), im scenario.Impairment,
	seed int64, clk clock.Clock, closed func(impair.Stats)) phone.MediaListenFunc {
	if listen == nil {
		listen = net.ListenPacket
	}
	cfg := impairConfig(im)
	cfg.NAT = impair.NAT{}
	return func(number string, stream uint64, network, address string) (net.PacketConn, error) {
		pc, err := listen(network, address)
		if err != nil {
			return nil, err
		}
		c, err := impair.Wrap(pc, cfg, mixSeed(seed, number, stream), impair.WithClock(clk), impair.WithListen(listen),
			impair.WithOnClose(closed))
		if err != nil {
			_ = pc.Close()
			return nil, err
		}
		return c, nil
	}
}

// mixSeed is the seed of a phone's stream-th RTP stream (or of an
// Agent's nth TCP connection): the scenario's seed, the name and the index
// mixed (FNV-1a, then SplitMix64's finaliser), so that neighbouring names
// draw unrelated fates.
func mixSeed(seed int64, number string, stream uint64) int64 {
	h := fnv.New64a()
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(seed))
	binary.BigEndian.PutUint64(b[8:], stream)
	_, _ = h.Write(b[:])
	_, _ = h.Write([]byte(number))
	z := h.Sum64()
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return int64(z ^ (z >> 31))
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

// mediaTotals sums the counters of the impaired RTP sockets as they close
// (a run may open millions: none is kept).
type mediaTotals struct {
	mu      sync.Mutex
	st      impair.Stats
	streams int
}

func (m *mediaTotals) add(st impair.Stats) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.streams++
	m.st.Sent += st.Sent
	m.st.SentLost += st.SentLost
	m.st.SentDup += st.SentDup
	m.st.Received += st.Received
	m.st.RecvLost += st.RecvLost
	m.st.RecvDup += st.RecvDup
}

// total returns the sums and the number of sockets closed.
func (m *mediaTotals) total() (impair.Stats, int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.st, m.streams
}

// impairedStreams returns, for the ith Agent of a TCP population, the
// wrapper of its connections in the population's impairment (as TCP shows
// it: impair.Stream). The nth connection of Agent i draws from its own
// seed, so a reconnection does not replay the first one's fate. totals
// counts them.
func impairedStreams(im scenario.Impairment, seed int64, clk clock.Clock, totals *streamTotals) func(agent int) func(net.Conn) (net.Conn, error) {
	cfg := impairConfig(im)
	return func(agent int) func(net.Conn) (net.Conn, error) {
		var n atomic.Uint64
		name := "tcp/" + strconv.Itoa(agent)
		return func(c net.Conn) (net.Conn, error) {
			s, err := impair.WrapStream(c, cfg, mixSeed(seed, name, n.Add(1)-1), impair.WithClock(clk), impair.WithOnDrop(totals.dropped))
			if err != nil {
				return nil, err
			}
			totals.opened(s)
			return s, nil
		}
	}
}

// streamTotals keeps the impaired TCP connections (a population has a
// few per Agent) and counts the drops.
type streamTotals struct {
	mu      sync.Mutex
	streams []*impair.Stream
	drops   int
}

func (t *streamTotals) opened(s *impair.Stream) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.streams = append(t.streams, s)
}

func (t *streamTotals) dropped(impair.StreamStats) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.drops++
}

// streamSums is what total returns.
type streamSums struct {
	impair.StreamStats
	drops int
}

// total sums the connections' counters; n is how many there were.
func (t *streamTotals) total() (sum streamSums, n int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, s := range t.streams {
		st := s.Stats()
		sum.Sent += st.Sent
		sum.SentRetrans += st.SentRetrans
		sum.Received += st.Received
		sum.RecvRetrans += st.RecvRetrans
		sum.SentDelay += st.SentDelay
		sum.ReceivedDelay += st.ReceivedDelay
	}
	sum.drops = t.drops
	return sum, len(t.streams)
}

// meanMS is total/n in whole milliseconds (0 when n is 0).
func meanMS(total time.Duration, n uint64) int64 {
	if n == 0 {
		return 0
	}
	return (total / time.Duration(n)).Milliseconds()
}
