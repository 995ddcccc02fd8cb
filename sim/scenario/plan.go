package scenario

import (
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"time"
)

// Behaviour is what a callee of the population does with a call.
type Behaviour int

// Callee behaviours (the behaviours mix).
const (
	CalleeAnswer Behaviour = iota
	CalleeBusy
	CalleeNoAnswer
	CalleeReject
)

// String is the behaviour's scenario name.
func (b Behaviour) String() string {
	switch b {
	case CalleeAnswer:
		return "answer"
	case CalleeBusy:
		return "busy"
	case CalleeNoAnswer:
		return "no_answer"
	case CalleeReject:
		return "reject"
	}
	return "behaviour(" + strconv.Itoa(int(b)) + ")"
}

// PlannedPhone is a phone of the population as the plan casts it.
type PlannedPhone struct {
	Number    string
	Behaviour Behaviour
	// Media is false for a signalling-only phone: it opens no RTP socket
	// (audio.share); media calls are between media phones only.
	Media bool
}

// PlannedCall is one call of the plan.
type PlannedCall struct {
	// Seq numbers the calls from 0.
	Seq int
	// At is when the call starts, from the start of the calling window.
	At time.Duration
	// Caller is the population index of the calling phone.
	Caller int
	// Callee is the population index of the called phone; -1 when the
	// call goes to a remote number or out through a carrier.
	Callee int
	// Number is what is dialled: the callee's number, a remote number or
	// a carrier's number (without the carrier's prefix).
	Number string
	// Carrier is the index in the scenario's carriers of the carrier the
	// call goes out through; -1 for none.
	Carrier int
	// Hold is how long the call lasts once answered.
	Hold time.Duration
	// Media says whether the call carries audio (both phones are media
	// phones); the others are signalling-only.
	Media bool
	// Journey is what the caller does once the call is answered
	// (calls.journey, for calls.journey_share of the calls; nil for the
	// others), a transfer's drawn target filled in.
	Journey []Step
}

// Plan is the call plan of a run: who calls whom, when, for how long,
// with or without media, and how every callee behaves. It is a pure
// function of the scenario and the seed: the same seed gives the same plan,
// whatever the network does. It is drawn as the run goes (Next), so a long
// soak does not hold its calls in memory.
type Plan struct {
	// Seed is the seed the plan was drawn with.
	Seed int64
	// Phones are the population's phones, in number order.
	Phones []PlannedPhone

	c         Calls
	remote    []string
	carriers  [][]string // outbound numbers of each carrier
	percents  []int      // outbound.percent of each carrier
	subset    [2][]int   // population indexes: [0] signalling-only, [1] media
	blocks    [2]map[uint64][]int
	values    []uint64 // numeric value of each phone's number
	share     float64
	tl        timeline
	count     float64 // the cumulative rate the next call is due at
	seq       int
	done      bool
	arrivals  *rand.Rand
	picks     *rand.Rand
	holds     *rand.Rand
	journeys  *rand.Rand
	answering [2][]int // population indexes of answering phones by subset
	lognormMu float64
}

// Random streams of a seed: one per kind of draw, so a change to one (a
// hold distribution) does not move the others (arrivals, callers).
const (
	streamPhones = iota + 1
	streamArrivals
	streamPicks
	streamHolds
	streamJourneys
)

// NewRNG returns the random stream of a seed (stream 0 for other uses).
func NewRNG(seed int64, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(seed), 0x9e3779b97f4a7c15+stream))
}

// NewPlan draws the plan of a validated scenario with seed.
func NewPlan(sc *Scenario, seed int64) *Plan {
	c := sc.Calls
	p := &Plan{
		Seed:     seed,
		c:        c,
		remote:   c.Remote.Numbers(),
		share:    sc.Audio.MediaShare(),
		tl:       timeline{segs: segments(c)},
		arrivals: NewRNG(seed, streamArrivals),
		picks:    NewRNG(seed, streamPicks),
		holds:    NewRNG(seed, streamHolds),
		journeys: NewRNG(seed, streamJourneys),
		done:     !c.Placing() || c.Duration <= 0,
	}
	if c.HoldDist.Kind == HoldLognormal {
		sig := c.HoldDist.Sigma
		p.lognormMu = math.Log(c.HoldDist.Mean.Seconds()) - sig*sig/2
	}
	for _, cr := range sc.Carriers {
		p.carriers = append(p.carriers, cr.Outbound.Numbers.Numbers())
		p.percents = append(p.percents, cr.Outbound.Percent)
	}
	p.castPhones(sc)
	if p.c.Arrivals == ArrivalsPoisson {
		p.count = p.arrivals.ExpFloat64()
	}
	return p
}

// castPhones chooses the media phones and gives each subset the
// behaviour mix (largest remainder), all from the phones' stream.
func (p *Plan) castPhones(sc *Scenario) {
	rng := NewRNG(p.Seed, streamPhones)
	numbers := sc.Population.Numbers()
	n := len(numbers)
	media := int(math.Round(p.share * float64(n)))
	if p.share > 0 && media < 2 {
		media = min(2, n)
	}
	order := rng.Perm(n)
	p.Phones = make([]PlannedPhone, n)
	p.values = make([]uint64, n)
	for i, num := range numbers {
		p.Phones[i].Number = num
		p.values[i], _ = strconv.ParseUint(num, 10, 64)
	}
	for rank, i := range order {
		m := rank < media
		p.Phones[i].Media = m
		k := 0
		if m {
			k = 1
		}
		p.subset[k] = append(p.subset[k], i)
	}
	for k := range p.subset {
		sort.Ints(p.subset[k])
		for j, b := range assignBehaviours(len(p.subset[k]), sc.Behaviours, rng) {
			p.Phones[p.subset[k][j]].Behaviour = b
			if b == CalleeAnswer {
				p.answering[k] = append(p.answering[k], p.subset[k][j])
			}
		}
		if sc.Calls.Pattern == PatternLocal {
			p.blocks[k] = map[uint64][]int{}
			for _, i := range p.subset[k] {
				b := p.values[i] / uint64(sc.Calls.Block)
				p.blocks[k][b] = append(p.blocks[k][b], i)
			}
		}
	}
}

// assignBehaviours gives n callees the mix, as exact as whole phones
// allow (largest remainder), in a seeded random order.
func assignBehaviours(n int, b Behaviours, rng *rand.Rand) []Behaviour {
	pcts := []int{b.Answer, b.Busy, b.NoAnswer, b.Reject}
	counts := make([]int, len(pcts))
	order := make([]int, len(pcts))
	left := n
	for i, pct := range pcts {
		counts[i] = n * pct / 100
		left -= counts[i]
		order[i] = i
	}
	sort.SliceStable(order, func(x, y int) bool { return n*pcts[order[x]]%100 > n*pcts[order[y]]%100 })
	for i := 0; left > 0; i = (i + 1) % len(order) {
		if pcts[order[i]] > 0 {
			counts[order[i]]++
			left--
		}
	}
	out := make([]Behaviour, 0, n)
	for i, c := range counts {
		for range c {
			out = append(out, Behaviour(i))
		}
	}
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// Next returns the next call of the plan, false once the calling window
// is over.
func (p *Plan) Next() (PlannedCall, bool) {
	if p.done {
		return PlannedCall{}, false
	}
	t, ok := p.tl.at(p.count)
	if !ok {
		p.done = true
		return PlannedCall{}, false
	}
	if p.c.Arrivals == ArrivalsPoisson {
		p.count += p.arrivals.ExpFloat64()
	} else {
		p.count++
	}
	call := PlannedCall{Seq: p.seq, At: time.Duration(t * float64(time.Second)), Callee: -1, Carrier: -1}
	p.seq++
	p.pick(&call)
	call.Hold = p.hold()
	p.journey(&call)
	return call, true
}

// Take returns the next n calls at most (tests, previews).
func (p *Plan) Take(n int) []PlannedCall {
	var out []PlannedCall
	for range n {
		c, ok := p.Next()
		if !ok {
			break
		}
		out = append(out, c)
	}
	return out
}

// pick draws media, caller and callee (or remote/carrier number).
func (p *Plan) pick(call *PlannedCall) {
	rng := p.picks
	k := 0
	if rng.Float64() < p.share {
		k = 1
	}
	internal := p.c.Pattern != PatternRemote
	carrier := p.pickCarrier()
	need := 1
	if internal && carrier < 0 {
		need = 2
	}
	if len(p.subset[k]) < need { // too few phones of that kind: the other
		k = 1 - k
	}
	sub := p.subset[k]
	call.Media = k == 1
	call.Caller = sub[rng.IntN(len(sub))]
	switch {
	case carrier >= 0:
		nums := p.carriers[carrier]
		call.Carrier, call.Number = carrier, nums[rng.IntN(len(nums))]
	case !internal:
		call.Number = p.remote[rng.IntN(len(p.remote))]
	default:
		call.Callee = p.pickCallee(k, call.Caller)
		call.Number = p.Phones[call.Callee].Number
	}
}

// pickCarrier draws whether the call goes out through a carrier
// (outbound.percent of the calls) and which; -1 for none.
func (p *Plan) pickCarrier() int {
	if len(p.percents) == 0 {
		return -1
	}
	n := p.picks.IntN(100)
	for i, pct := range p.percents {
		if n < pct {
			return i
		}
		n -= pct
	}
	return -1
}

// pickCallee draws a callee other than the caller in subset k: in the
// caller's block (pattern local; the whole subset when the caller is alone
// in it), avoiding a callee with the caller's audio identity (numbers 552
// apart) when it can.
func (p *Plan) pickCallee(k, caller int) int {
	rng := p.picks
	pool := p.subset[k]
	if p.c.Pattern == PatternLocal {
		if b := p.blocks[k][p.values[caller]/uint64(p.c.Block)]; len(b) > 1 {
			pool = b
		}
	}
	var callee int
	for range 8 {
		callee = pool[rng.IntN(len(pool))]
		if callee != caller && p.values[callee]%552 != p.values[caller]%552 {
			return callee
		}
	}
	for callee == caller {
		callee = pool[rng.IntN(len(pool))]
	}
	return callee
}

// hold draws a hold from the distribution, clamped to [min, max] and
// rounded to the millisecond.
func (p *Plan) hold() time.Duration {
	h := p.c.HoldDist
	var secs float64
	switch h.Kind {
	case HoldExponential:
		secs = p.holds.ExpFloat64() * h.Mean.Seconds()
	case HoldLognormal:
		secs = math.Exp(p.lognormMu + h.Sigma*p.holds.NormFloat64())
	default:
		return h.Mean
	}
	d := time.Duration(secs * float64(time.Second)).Round(time.Millisecond)
	return min(max(d, h.Min), h.Max)
}

// journey draws whether the call runs the journey (calls.journey_share)
// and the target of each transfer left without one: an answering phone
// that is neither the caller nor the callee, of the call's media kind
// when there is one. Its own stream: a journey does not move the rest.
func (p *Plan) journey(call *PlannedCall) {
	if len(p.c.Journey) == 0 || p.journeys.Float64() >= p.c.JourneyFraction() {
		return
	}
	call.Journey = slices.Clone(p.c.Journey)
	for i := range call.Journey {
		st := &call.Journey[i]
		if st.Kind != StepTransfer || st.To != "" {
			continue
		}
		k := 0
		if call.Media {
			k = 1
		}
		pool := p.answering[k]
		if len(pool) < 3 {
			pool = append(slices.Clone(p.answering[0]), p.answering[1]...)
		}
		for range 16 * min(len(pool), 1) { // none found: To stays "" and the step fails
			t := pool[p.journeys.IntN(len(pool))]
			if t != call.Caller && t != call.Callee {
				st.To = p.Phones[t].Number
				break
			}
		}
	}
}
