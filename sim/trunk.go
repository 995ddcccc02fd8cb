package sim

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"pbxlab/sim/carrier"
	"pbxlab/sim/phone"
	"pbxlab/sim/quality"
	"pbxlab/sim/report"
	"pbxlab/sim/scenario"
)

// Carriers are the simulated carriers of a scenario (its carriers
// section), running. StartCarriers starts them before the PBX when the
// PBX's configuration needs their addresses; Run starts its own otherwise.
type Carriers struct {
	list   []*trunkCarrier
	byName map[string]*trunkCarrier
	owned  bool // started by Run: closed by it
}

type trunkCarrier struct {
	sc      scenario.Carrier
	c       *carrier.Carrier
	numbers []string // outbound.numbers
	dids    []string
	from    []string
}

// StartCarriers starts the scenario's carriers on their listen addresses.
// Close releases them (after Run).
func StartCarriers(sc *scenario.Scenario, opts ...Option) (*Carriers, error) {
	cfg := newConfig(opts)
	cs := &Carriers{byName: map[string]*trunkCarrier{}}
	for _, s := range sc.Carriers {
		tc, err := startCarrier(s, cfg)
		if err != nil {
			_ = cs.Close()
			return nil, fmt.Errorf("start carrier %s: %w", s.Name, err)
		}
		cs.list = append(cs.list, tc)
		cs.byName[s.Name] = tc
	}
	return cs, nil
}

func startCarrier(s scenario.Carrier, cfg config) (*trunkCarrier, error) {
	listen, err := netip.ParseAddrPort(s.Listen)
	if err != nil {
		return nil, fmt.Errorf("listen %q: %w", s.Listen, err)
	}
	cc := carrier.Config{
		LocalIP:   listen.Addr(),
		Port:      int(listen.Port()),
		Transport: s.Transport,
		Domain:    s.Domain,
		Default:   s.Answer.Behaviour(),
		Numbers:   map[string]carrier.Behaviour{},
	}
	for _, a := range s.Accounts {
		cc.Accounts = append(cc.Accounts, carrier.Account{Username: a.Username, Password: a.Password})
	}
	for prefix, b := range s.Numbers {
		cc.Numbers[prefix] = b.Behaviour()
	}
	c, err := carrier.New(cc, carrier.WithLogger(cfg.log.With("carrier", s.Name)), carrier.WithClock(cfg.clock),
		carrier.WithAgentOptions(phone.WithCapture(cfg.capture), phone.WithQuality(quality.NewRegistry(64))))
	if err != nil {
		return nil, err
	}
	return &trunkCarrier{sc: s, c: c, numbers: s.Outbound.Numbers.Numbers(), dids: s.Inbound.DIDs.Numbers(), from: s.Inbound.From.Numbers()}, nil
}

// Carrier returns the named carrier, or nil.
func (cs *Carriers) Carrier(name string) *carrier.Carrier {
	if tc := cs.byName[name]; tc != nil {
		return tc.c
	}
	return nil
}

// Close closes every carrier.
func (cs *Carriers) Close() error {
	var first error
	for _, tc := range cs.list {
		if err := tc.c.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// placeTrunkCall dials one of the carrier's numbers (with the route's
// prefix) through the PBX. The carrier answers with the number's identity.
func (r *runner) placeTrunkCall(ctx context.Context, caller *phone.Phone, tc *trunkCarrier, pc scenario.PlannedCall) {
	number := pc.Number
	log := newCallLog(r.cfg.log, "caller", caller.Number(), "callee", number, "carrier", tc.sc.Name)
	call, ok := r.dial(ctx, caller, tc.sc.Outbound.Prefix+number, log)
	if !ok {
		r.col.TrunkCall(tc.sc.Name, false, report.CallOutcome{})
		return
	}
	call.ExpectIdentity(phone.IdentityFor(number))
	answer := tc.behaviourFor(number).Action == carrier.Answer
	r.holdOut(ctx, call, caller, log, pc, func(ctx context.Context) *phone.Call { return r.carrierLeg(ctx, tc.c, number, caller) })
	r.col.TrunkCall(tc.sc.Name, false, outcome(call, answer))
}

// carrierLeg finds the carrier's answered leg of a call to number from
// caller and claims it, as findLeg does a callee's: the leg whose caller
// (From user or P-Asserted-Identity) is caller's number, after half of
// legWait any unclaimed leg to number (a PBX may present another number).
// It is told to expect the caller's identity: the carrier hears the
// caller, not only the caller the carrier.
func (r *runner) carrierLeg(ctx context.Context, c *carrier.Carrier, number string, caller *phone.Phone) *phone.Call {
	ctx, cancel := context.WithTimeout(ctx, legWait)
	defer cancel()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	uri := "sip:" + caller.Number() + "@"
	for start := time.Now(); ; {
		anyCaller := time.Since(start) > legWait/2
		for _, l := range c.AnsweredLegs(number) {
			mine := l.FromUser == caller.Number() || slices.ContainsFunc(l.PAssertedIdentity, func(v string) bool { return strings.Contains(v, uri) })
			if !mine && !anyCaller {
				continue
			}
			if _, taken := r.claimed.LoadOrStore(l.Call, struct{}{}); !taken {
				l.Call.ExpectIdentity(caller.Identity())
				return l.Call
			}
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			return nil
		}
	}
}

// behaviourFor is the scenario's behaviour for a number (longest prefix).
func (tc *trunkCarrier) behaviourFor(number string) carrier.Behaviour {
	best, bestLen := tc.sc.Answer.Behaviour(), 0
	for prefix, b := range tc.sc.Numbers {
		if len(prefix) > bestLen && strings.HasPrefix(number, prefix) {
			best, bestLen = b.Behaviour(), len(prefix)
		}
	}
	return best
}

// inboundCalls has every carrier call the PBX's DIDs at its inbound rate
// for calls.duration.
func (r *runner) inboundCalls(ctx context.Context) {
	if r.carriers == nil {
		return
	}
	for _, tc := range r.carriers.list {
		if tc.sc.Inbound.Rate <= 0 {
			continue
		}
		interval := time.Duration(float64(time.Second) / tc.sc.Inbound.Rate)
		r.calls.Go(func() { r.schedule(ctx, interval, func() { r.placeInboundCall(ctx, tc) }) })
	}
}

// schedule runs f every interval (on the run's clock) for calls.duration,
// each on its own goroutine, within calls.max_concurrent.
func (r *runner) schedule(ctx context.Context, interval time.Duration, f func()) {
	start := r.cfg.clock.Now()
	for i := 0; interval > 0; i++ {
		offset := time.Duration(i) * interval
		if offset >= r.sc.Calls.Duration {
			return
		}
		if wait := start.Add(offset).Sub(r.cfg.clock.Now()); wait > 0 {
			r.sleep(ctx, wait)
		}
		if ctx.Err() != nil {
			return
		}
		if r.active.Load() >= int64(r.sc.Calls.MaxConcurrent) {
			r.col.CallSkipped()
			continue
		}
		r.active.Add(1)
		r.col.CallStarted()
		r.goCall(func() {
			defer r.col.CallDone()
			defer r.active.Add(-1)
			f()
		})
	}
}

// placeInboundCall has the carrier call a DID: to the run's target (via
// target) or to the contact the account registered. A DID of the
// population is expected to behave as that phone does, any other DID to
// answer.
func (r *runner) placeInboundCall(ctx context.Context, tc *trunkCarrier) {
	in := carrier.Inbound{
		DID:  tc.dids[r.pick(len(tc.dids))],
		From: tc.from[r.pick(len(tc.from))],
	}
	if tc.sc.Inbound.Via == scenario.ViaTarget {
		in.Target = r.target.Addr
	} else {
		in.Account = tc.sc.Inbound.Via
	}
	log := newCallLog(r.cfg.log, "carrier", tc.sc.Name, "did", in.DID, "from", in.From)
	mode, ours := r.modes[in.DID]
	// a DID of the population without media (audio.share) sends no audio
	media, known := r.media[in.DID]
	media = media || !known
	if media {
		r.col.MediaCall()
	}
	call, err := tc.c.CallWith(ctx, in)
	if err != nil {
		log.Info("inbound call failed", "error", err)
		r.col.TrunkCall(tc.sc.Name, true, report.CallOutcome{})
		return
	}
	ringCtx, stopRing := withClockTimeout(ctx, r.cfg.clock, r.sc.Calls.RingTimeout)
	err = call.WaitAnswer(ringCtx)
	stopRing()
	if err != nil && call.State() != phone.Ended {
		hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), requestTimeout)
		if herr := call.Hangup(hctx); herr != nil {
			log.Info("cancel failed", "error", herr)
		}
		cancel()
	}
	var far func(context.Context) *phone.Call
	if p := r.own[in.DID]; p != nil { // the DID's phone is ours: it checks it hears the carrier's caller
		far = func(ctx context.Context) *phone.Call { return r.findLeg(ctx, p, in.From, phone.IdentityFor(in.From)) }
	}
	r.holdOut(ctx, call, nil, log, scenario.PlannedCall{Hold: r.sc.Calls.Hold, Media: media}, far) // no journey: the carrier called
	o := outcome(call, true)
	if ours {
		o.Expected = expected(mode, call.Code())
	}
	if !o.Expected {
		log.Info("unexpected inbound call outcome", "code", call.Code(), "behaviour", mode, "population", ours, "end", call.End())
	}
	r.col.TrunkCall(tc.sc.Name, true, o)
}

// pick draws an index below n (the scheduler's rng is not shared).
func (r *runner) pick(n int) int {
	r.pickMu.Lock()
	defer r.pickMu.Unlock()
	return r.pickRNG.IntN(n)
}

// outcome is a call's report entry, expected when answered == wantAnswer.
func outcome(call *phone.Call, wantAnswer bool) report.CallOutcome {
	answered := call.Code() >= 200 && call.Code() < 300
	out := report.CallOutcome{Code: call.Code(), Expected: answered == wantAnswer, CallID: call.CallID(),
		Caller: call.Phone().Number(), Callee: call.Remote()}
	if d, ok := call.SetupTime(); ok {
		out.Setup = d
	}
	if d, ok := call.RingTime(); ok {
		out.Ring = d
	}
	return out
}
