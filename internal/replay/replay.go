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
	"math"
	"net"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
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
	out     sender

	events chan event
	fires  chan *leg
	stop   chan struct{}
	wg     sync.WaitGroup
	mu     sync.Mutex // the timers
	runID  string

	src *source
	// *window is the window running; retiring, those that ended and
	// still take the target's late messages.
	*window
	retiring []*window
	seq      int
	sut      netip.AddrPort // the SUT address every window after the first is planned with
	parties  map[netip.AddrPort]*party
	partyIDs int
	// retired and retiredOld are the live Call-IDs of the last windows
	// compared: the target's late messages in them are dropped.
	retired, retiredOld map[string]bool
	held, peak          Retained
	rep                 *Report
	callBase            int // the dialogs of the windows compared (naming)
	// keptEquivalent and keptDivergent count the verdicts listed.
	keptEquivalent, keptDivergent int

	dirty []*leg
	// resolvedSince: an expected message settled since the last recheck
	resolvedSince bool
	sent          int
	received      int
	gotAny        bool
	late          int       // the target's messages in dialogs already compared, dropped
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

// New opens the capture and plans its first window (see Windowing);
// nothing is sent yet.
func New(cfg Config, opts ...Option) (*Replayer, error) {
	r := &Replayer{cfg: cfg, net: &net.Dialer{}, media: &net.ListenConfig{}, log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		parties: map[netip.AddrPort]*party{}}
	for _, o := range opts {
		o(r)
	}
	if r.cfg.Timeout <= 0 {
		r.cfg.Timeout = DefaultTimeout
	}
	r.cfg.Window = r.cfg.Window.withDefaults()
	if cfg.RTP {
		if cfg.Capture == "" || cfg.Messages != nil {
			return nil, fmt.Errorf("replay rtp: %w", ErrRTPNeedsCapture)
		}
		// the media is read whole: one window
		r.cfg.Window.Dialogs, r.cfg.Window.Lookahead = math.MaxInt, math.MaxInt
	}
	target, err := resolveTarget(cfg.Target)
	if err != nil {
		return nil, err
	}
	r.target, r.out = target, sender{target: target}
	if r.src, err = openSource(r.cfg); err != nil {
		return nil, err
	}
	if err := r.firstWindow(); err != nil {
		r.src.shut()
		return nil, err
	}
	if cfg.RTP {
		if err := r.planMedia(); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// Parties is how many captured addresses the replayer speaks for in the
// first window (the whole capture's when it is one window).
func (r *Replayer) Parties() int { return len(r.window.plan.parties) }

// Run replays the capture once and compares the live exchange with it,
// window by window. It returns an error (and no report) when the target
// cannot be reached; a target that answers differently is a report whose
// Equivalent is false. Run may be called once.
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
	r.rep = &Report{Target: r.target.String()}
	defer r.shutdown()
	for w := r.window; w != nil; {
		if err := r.runWindow(ctx, w); err != nil {
			return nil, err
		}
		r.retire(w)
		if ctx.Err() != nil {
			break
		}
		next, err := r.nextWindow()
		if err != nil {
			return nil, err
		}
		w = next
	}
	if r.src.err != nil {
		r.log.Warn("replay: damaged capture, replayed the messages before the damage", "err", r.src.err)
	}
	if err := r.linger(ctx); err != nil {
		return nil, err
	}
	for len(r.retiring) > 0 {
		r.finalize()
	}
	rep := r.rep
	rep.Sent, rep.Received, rep.Duration = r.sent, r.received, time.Since(began)
	rep.RTPSent, rep.MediaNotes = int(atomic.LoadInt64(&r.rtpSent)), r.mediaNotes
	rep.Late, rep.Peak = r.src.late+r.late, r.peak
	return rep, nil
}

// shutdown closes the connections and waits for the readers.
func (r *Replayer) shutdown() {
	r.src.shut()
	r.mu.Lock()
	for _, w := range append(slices.Clone(r.retiring), r.window) {
		for _, t := range w.timers {
			t.Stop()
		}
	}
	r.mu.Unlock()
	close(r.stop)
	for _, p := range r.parties {
		if p.conn != nil {
			_ = p.conn.Close()
		}
	}
	for _, w := range append(slices.Clone(r.retiring), r.window) {
		for _, lg := range w.plan.legs {
			if lg.stream != nil && lg.stream.conn != nil {
				_ = lg.stream.conn.Close()
			}
		}
	}
	r.wg.Wait()
}
