// Package quality measures the audio transport of a simulated call, per
// received RTP stream: packet loss (RFC 3550 A.3), interarrival jitter
// (RFC 3550 A.8), one-way delay, the loss burst ratio, and the MOS the ITU-T
// G.107 E-model (internal/emodel) estimates from them. It has no sockets:
// the simulated phone hands it every RTP packet it receives with the arrival
// time, and asks for a Report.
//
// # How one-way delay is measured
//
// The G.711 payload stays untouched (nothing is hidden in the audio).
// Both ends of a simulated call run in one process, on one clock, so the
// receiver can learn when the sender sent each packet:
//
//   - exactly, from a SendLog: the sending phone records (RTP timestamp,
//     send time) for every packet it sends, and the Meter computes
//     delay = arrival − send time of the packet's timestamp;
//   - or from a LinearClock: one (wall-clock time, RTP timestamp) pair, the
//     pair an RTCP sender report carries (NTP timestamp ↔ RTP timestamp,
//     RFC 3550 §6.4.1), extrapolated at the clock rate. That is exact for a
//     sender whose timestamps follow its clock, and drifts by whatever its
//     pacing loses; refresh it with every sender report.
//
// Either way the path must carry the sender's RTP timestamps unchanged: a
// relaying PBX does (pbxlab's anchor keeps them, as rtpengine does); a
// media server that re-stamps the stream, or plays its own audio (a prompt,
// music on hold), breaks the mapping, and such packets, unknown to the
// SendLog, are left out of the delay figures. Without any send clock only
// the delay variation is known: Report gives delays relative to the fastest
// packet (DelayKnown false), and the E-model is fed the endpoint delay
// alone.
package quality

import (
	"math"
	"sync"
	"time"

	"pbxlab/internal/emodel"
)

// SendClock tells when the sender sent the packet of an RTP timestamp.
type SendClock interface {
	SendTime(ts uint32) (time.Time, bool)
}

// SendLog records the send time of the last packets a simulated sender sent.
// It is safe for concurrent use (the sender records, the receiver's Meter
// looks up); both cost O(1).
type SendLog struct {
	mu    sync.Mutex
	at    map[uint32]time.Time
	order []uint32 // ring of the timestamps in at, oldest at next
	next  int
}

// DefaultSendLogSize is 10 s of packets at 20 ms, far more than any delay.
const DefaultSendLogSize = 512

// NewSendLog returns a log of the last size packets (DefaultSendLogSize
// when size <= 0).
func NewSendLog(size int) *SendLog {
	if size <= 0 {
		size = DefaultSendLogSize
	}
	return &SendLog{at: make(map[uint32]time.Time, size), order: make([]uint32, 0, size)}
}

// Record notes that the packet of timestamp ts was sent at at.
func (l *SendLog) Record(ts uint32, at time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.at[ts]; ok {
		return // the same timestamp again: the first send counts (log audio packets only)
	}
	if len(l.order) < cap(l.order) {
		l.order = append(l.order, ts)
	} else {
		delete(l.at, l.order[l.next])
		l.order[l.next] = ts
		l.next = (l.next + 1) % len(l.order)
	}
	l.at[ts] = at
}

// SendTime returns when the packet of ts was sent, if it is still in the log.
func (l *SendLog) SendTime(ts uint32) (time.Time, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	at, ok := l.at[ts]
	return at, ok
}

// LinearClock maps RTP timestamps to send times from one reference pair:
// timestamp TS was sent at At, and the timestamp advances Rate per second.
type LinearClock struct {
	At   time.Time
	TS   uint32
	Rate int // Hz; 8000 when 0
}

// SendTime extrapolates the send time of ts (within ±2^31 units of TS).
func (c LinearClock) SendTime(ts uint32) (time.Time, bool) {
	rate := c.Rate
	if rate <= 0 {
		rate = 8000
	}
	if c.At.IsZero() {
		return time.Time{}, false
	}
	units := int64(int32(ts - c.TS))
	return c.At.Add(time.Duration(units) * time.Second / time.Duration(rate)), true
}

// Option configures a Meter.
type Option func(*Meter)

// WithClockRate sets the RTP clock rate (8000 for G.711, the default).
func WithClockRate(hz int) Option { return func(m *Meter) { m.rate = hz } }

// WithSendClock sets how the Meter learns send times (see the package doc).
func WithSendClock(c SendClock) Option { return func(m *Meter) { m.clock = c } }

// WithCodec sets the codec's E-model values; default emodel.G711(false):
// the simulated phones conceal nothing, a lost packet is silence.
func WithCodec(c emodel.Codec) Option { return func(m *Meter) { m.codec = c } }

// WithEndpointDelay adds the delay the endpoints add (packetisation, jitter
// buffer, playout) to the measured network delay when estimating the MOS
// (G.107's Ta is mouth-to-ear). Default 0: the MOS of the network path.
func WithEndpointDelay(d time.Duration) Option { return func(m *Meter) { m.endpoint = d } }

// maxTracked bounds the loss bitmap: 2^22 packets, 23 hours at 20 ms.
const maxTracked = 1 << 22

// Meter measures one received RTP stream. It locks on the first SSRC it
// sees; packets of other sources are counted as Foreign and ignored. Safe
// for concurrent use.
type Meter struct {
	rate     int
	clock    SendClock
	reg      *Registry
	looked   bool // reg was searched for the stream's sender
	codec    emodel.Codec
	endpoint time.Duration

	mu      sync.Mutex
	started bool
	ssrc    uint32
	baseSeq int64 // extended sequence number of the first packet
	maxSeq  int64 // highest extended sequence number
	got     []uint64
	rx      counts
	// Jitter (RFC 3550 A.8), in timestamp units.
	firstAt  time.Time
	tsExt    int64 // the last packet's timestamp, unwrapped
	transit  float64
	jitter   float64
	haveLast bool
	// Delay.
	delaySum            time.Duration
	delayN              int64
	delayMin, delayMax  time.Duration
	relMin              float64 // smallest relative transit, timestamp units (no send clock)
	relSum, relMaxTrans float64
}

type counts struct {
	received, duplicates, early, foreign int64
}

// NewMeter returns a Meter.
func NewMeter(opts ...Option) *Meter {
	m := &Meter{rate: 8000, codec: emodel.G711(false)}
	for _, o := range opts {
		o(m)
	}
	if m.rate <= 0 {
		m.rate = 8000
	}
	return m
}

// Packet records an RTP packet (its SSRC, sequence number and timestamp)
// that arrived at arrival.
func (m *Meter) Packet(ssrc uint32, seq uint16, ts uint32, arrival time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.started {
		m.started, m.ssrc = true, ssrc
		m.baseSeq, m.maxSeq = int64(seq), int64(seq)
		m.firstAt, m.tsExt = arrival, int64(ts)
	} else if ssrc != m.ssrc {
		m.rx.foreign++
		return
	}
	// The extended sequence number closest to the highest seen (A.1).
	ext := m.maxSeq + int64(int16(seq-uint16(m.maxSeq)))
	off := ext - m.baseSeq
	switch {
	case off < 0:
		m.rx.early++ // older than the first packet: cannot tell lost from late
		return
	case off < maxTracked:
		w, bit := off/64, uint64(1)<<(off%64)
		for int64(len(m.got)) <= w {
			m.got = append(m.got, 0)
		}
		if m.got[w]&bit != 0 {
			m.rx.duplicates++
			return
		}
		m.got[w] |= bit
	}
	m.rx.received++
	m.maxSeq = max(m.maxSeq, ext)

	// Jitter, in arrival order (A.8).
	m.tsExt += int64(int32(ts - uint32(m.tsExt)))
	arr := arrival.Sub(m.firstAt).Seconds() * float64(m.rate)
	transit := arr - float64(m.tsExt)
	if m.haveLast {
		d := math.Abs(transit - m.transit)
		m.jitter += (d - m.jitter) / 16
	}
	m.transit, m.haveLast = transit, true

	// Delay.
	if m.clock == nil && m.reg != nil && !m.looked {
		// once, on the first packet of the locked source: its sender
		// claimed the SSRC before sending, so a miss stays a miss (a
		// stream from outside the process); no lookup per packet
		m.looked = true
		if l := m.reg.log(ssrc); l != nil {
			m.clock = l
		}
	}
	if m.clock != nil || m.reg != nil {
		if m.clock == nil {
			return
		}
		if sent, ok := m.clock.SendTime(ts); ok {
			d := arrival.Sub(sent)
			if m.delayN == 0 {
				m.delayMin, m.delayMax = d, d
			}
			m.delayMin, m.delayMax = min(m.delayMin, d), max(m.delayMax, d)
			m.delaySum += d
			m.delayN++
		}
		return
	}
	if m.rx.received == 1 {
		m.relMin, m.relMaxTrans = transit, transit
	}
	m.relMin, m.relMaxTrans = min(m.relMin, transit), max(m.relMaxTrans, transit)
	m.relSum += transit
}

// Report is what the Meter measured.
type Report struct {
	SSRC       uint32
	Received   int64 // distinct packets
	Expected   int64 // highest − first sequence number + 1
	Lost       int64 // Expected − Received, never negative
	Duplicates int64
	Early      int64 // older than the first packet received
	Foreign    int64 // packets of another SSRC
	// LossPercent is Lost / Expected.
	LossPercent float64
	// BurstR is G.107's burst ratio: the mean length of the loss bursts
	// observed over the mean expected under random loss at the same rate,
	// 1/(1 − P). 1 for random loss (or none), above 1 for bursty loss.
	BurstR float64
	// Jitter is the RFC 3550 interarrival jitter.
	Jitter time.Duration
	// DelayKnown tells whether the delays are one-way delays (a send clock
	// was set) or relative to the fastest packet (none was).
	DelayKnown                    bool
	DelaySamples                  int64 // packets whose delay is in the figures
	DelayMean, DelayMin, DelayMax time.Duration
	R, MOS                        float64 // 0 when nothing was received
}

// Report returns the figures so far.
func (m *Meter) Report() Report {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := Report{
		SSRC: m.ssrc, Received: m.rx.received, Duplicates: m.rx.duplicates, Early: m.rx.early, Foreign: m.rx.foreign,
		Jitter: time.Duration(m.jitter / float64(m.rate) * float64(time.Second)), DelayKnown: m.clock != nil || m.reg != nil, BurstR: 1,
	}
	if !m.started || r.Received == 0 {
		return r
	}
	r.Expected = m.maxSeq - m.baseSeq + 1
	r.Lost = max(0, r.Expected-r.Received)
	r.LossPercent = 100 * float64(r.Lost) / float64(r.Expected)
	r.BurstR = m.burstRatio(r.Expected, r.LossPercent/100)
	if r.DelayKnown {
		r.DelaySamples = m.delayN
		if m.delayN > 0 {
			r.DelayMean = m.delaySum / time.Duration(m.delayN)
			r.DelayMin, r.DelayMax = m.delayMin, m.delayMax
		}
	} else {
		unit := float64(time.Second) / float64(m.rate)
		r.DelaySamples = r.Received
		r.DelayMean = time.Duration((m.relSum/float64(r.Received) - m.relMin) * unit)
		r.DelayMax = time.Duration((m.relMaxTrans - m.relMin) * unit)
	}
	oneWay := m.endpoint
	if r.DelayKnown {
		oneWay += max(0, r.DelayMean)
	}
	r.R, r.MOS = emodel.Estimate(emodel.Call{OneWay: oneWay, LossPercent: r.LossPercent, BurstR: r.BurstR, Codec: m.codec})
	return r
}

// burstRatio counts the runs of lost packets in the tracked window.
func (m *Meter) burstRatio(expected int64, p float64) float64 {
	if p <= 0 || p >= 1 {
		return 1
	}
	n := min(expected, maxTracked)
	var lost, runs int64
	inRun := false
	for i := range n {
		have := i/64 < int64(len(m.got)) && m.got[i/64]&(1<<(i%64)) != 0
		switch {
		case !have:
			lost++
			if !inRun {
				runs++
			}
			inRun = true
		default:
			inRun = false
		}
	}
	if runs == 0 {
		return 1
	}
	return float64(lost) / float64(runs) * (1 - p)
}
