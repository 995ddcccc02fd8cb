// Package replay replays a SIP capture against a live PBX: every address
// of the capture other than the system under test's (SUT) becomes a party
// the replayer speaks for, from its own connection to the target; what
// the parties sent is sent again, with the identifiers the target mints
// (Call-IDs, tags, Contacts, route sets, digest nonces) learnt from its
// answers; what the SUT sent is expected from the target. Each send waits
// for its causes: in a dialog, the expected messages between the leg's
// previous message and it; for a leg's first message, the earlier ones of
// its party and of every registration. Concurrent dialogs thus proceed
// independently and a run is not tied to wall-clock order. The
// live exchange is recorded with the captured addresses, and its call
// flow compared with the capture's dialog by dialog (internal/flow).
//
// Safety: every packet goes to the target and nowhere else, whatever the
// capture holds: the parties' connections are dialled to the target
// only, and the one sender refuses any other destination.
//
//	r, err := replay.New(replay.Config{Capture: "call.pcapng", Target: "10.0.0.5:5060"})
//	rep, err := r.Run(ctx)
//	rep.WriteText(os.Stdout)
//	ok := rep.Equivalent()
package replay

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"

	"pbxlab/internal/pcapio"
	"pbxlab/internal/sipwire"
)

// Replayer replays one capture against one target.
type Replayer struct {
	cfg     Config
	net     Network
	log     *slog.Logger
	capture *pcapio.Writer
	target  netip.AddrPort
	plan    *plan
	out     sender

	events chan event
	fires  chan *leg
	stop   chan struct{}
	wg     sync.WaitGroup
	mu     sync.Mutex // the timers
	timers []*time.Timer
	runID  string

	active     int
	dirty      []*leg
	waiting    []*leg  // legs whose next send awaits expected messages
	open       counter // expected messages not settled
	regExpects []int   // the expected messages of REGISTER legs
	regLowest  int     // the first of them not known settled
	// resolvedSince: an expected message settled since the last recheck
	resolvedSince bool
	handledAt     []time.Time
	records       []record
	sent          int
	received      int
	gotAny        bool
	progress      time.Time // the last send or receive
	ran           bool
	media         PacketNetwork
	rtpSent       int64 // atomic
	// mediaNotes are the RTP streams not sent, and why
	mediaNotes []string
}

// record is one live message with the captured addresses, and where it
// goes in the flow order (the step it stands for).
type record struct {
	msg sipwire.Message
	key int
	seq int
}

// New reads the capture and plans the replay; nothing is sent yet.
func New(cfg Config, opts ...Option) (*Replayer, error) {
	r := &Replayer{cfg: cfg, net: &net.Dialer{}, media: &net.ListenConfig{}, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, o := range opts {
		o(r)
	}
	if r.cfg.Timeout <= 0 {
		r.cfg.Timeout = DefaultTimeout
	}
	target, err := resolveTarget(cfg.Target)
	if err != nil {
		return nil, err
	}
	r.target, r.out = target, sender{target: target}
	msgs := cfg.Messages
	if msgs == nil {
		if cfg.Capture == "" {
			return nil, fmt.Errorf("replay: %w", ErrNoSIP)
		}
		err := sipwire.ScanFile(cfg.Capture, func(m sipwire.Message) error {
			msgs = append(msgs, m)
			return nil
		})
		if err != nil && len(msgs) == 0 {
			return nil, fmt.Errorf("replay %s: %w", cfg.Capture, err)
		}
		if err != nil {
			r.log.Warn("replay: damaged capture, replaying the messages before the damage", "err", err)
		}
	}
	r.plan, err = newPlan(msgs, cfg.SUT)
	if err != nil {
		return nil, err
	}
	if cfg.RTP {
		if cfg.Capture == "" || cfg.Messages != nil {
			return nil, fmt.Errorf("replay rtp: %w", ErrRTPNeedsCapture)
		}
		if err := r.planMedia(); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// Parties is how many captured addresses the replayer speaks for.
func (r *Replayer) Parties() int { return len(r.plan.parties) }

// Run replays the capture once and compares the live exchange with it.
// It returns an error (and no report) when the target cannot be reached;
// a target that answers differently is a report whose Equivalent is
// false. Run may be called once.
func (r *Replayer) Run(ctx context.Context) (*Report, error) {
	if r.ran {
		return nil, fmt.Errorf("replay: %w", ErrRunTwice)
	}
	r.ran = true
	began := time.Now()
	r.events = make(chan event, 1024)
	r.fires = make(chan *leg, 64)
	r.stop = make(chan struct{})
	r.runID = randomHex(4)
	defer r.shutdown()
	for _, p := range r.plan.parties {
		if err := p.open(ctx, r.net, r.target); err != nil {
			return nil, err
		}
		p.byCall, p.seen = map[string]*leg{}, map[uint64]bool{}
		r.wg.Add(1)
		go func(p *party) {
			defer r.wg.Done()
			p.read(r.events, r.stop)
		}(p)
	}
	if err := r.openMedia(ctx); err != nil {
		return nil, err
	}
	r.log.Info("replay", "target", r.target, "parties", len(r.plan.parties), "legs", len(r.plan.legs), "messages", len(r.plan.steps))
	if err := r.loop(ctx); err != nil {
		return nil, err
	}
	return r.report(time.Since(began)), nil
}

// shutdown closes the connections and waits for the readers.
func (r *Replayer) shutdown() {
	r.mu.Lock()
	for _, t := range r.timers {
		t.Stop()
	}
	r.mu.Unlock()
	close(r.stop)
	for _, p := range r.plan.parties {
		if p.conn != nil {
			_ = p.conn.Close()
		}
	}
	for _, lg := range r.plan.legs {
		if lg.stream != nil && lg.stream.conn != nil {
			_ = lg.stream.conn.Close()
		}
	}
	r.wg.Wait()
}
