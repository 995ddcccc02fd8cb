package capmut

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/flow"
	"pbxlab/internal/sipwire"
)

// Kind is a kind of mutation.
type Kind string

// The mutation kinds. Each changes what the system under test (SUT) sent,
// so that a replay playing the other parties sees the SUT deviate at that
// message; where the SUT sent no such message, a party's is taken.
const (
	// Status486 turns a 200 the SUT sent to an INVITE (else any 200 it
	// sent) into a 486 Busy Here without a body.
	Status486 Kind = "486-for-200"
	// MissingACK removes an ACK the SUT sent (else any ACK).
	MissingACK Kind = "missing-ack"
	// DroppedBYE removes a BYE the SUT sent (else any BYE) and the
	// responses to it.
	DroppedBYE Kind = "dropped-bye"
	// Codec replaces the preferred codec of the audio m= line (format and
	// rtpmap) of an SDP body the SUT sent with one the body does not offer.
	Codec Kind = "codec"
)

// Kinds lists every mutation kind.
func Kinds() []Kind { return []Kind{Status486, MissingACK, DroppedBYE, Codec} }

// Mutation is one mutated capture.
type Mutation struct {
	Kind Kind
	// Seed chose the message (and the codec) among the candidates.
	Seed uint64
	// Description says what was changed, for a person.
	Description string
	// Expect is where a comparison with the original must flag it.
	Expect Expect
	// Messages is the mutated capture. Messages not changed are shared
	// with the original: treat both as read-only.
	Messages []sipwire.Message
}

// Expect is the step at which the mutation must be flagged: the mutated or
// removed message (its first copy, if retransmitted).
type Expect struct {
	// Index is its index in the original capture.
	Index int
	// CallID is its Call-ID.
	CallID string
	// Dialog is the Call-ID's placeholder in the original's flow ("D3"):
	// Call-IDs are numbered by first appearance, retransmissions left out.
	Dialog string
	// Step is its position among that Call-ID's messages (0-based,
	// retransmissions and OPTIONS left out): where flow.Compare's
	// DialogResult.FirstDifference must point.
	Step int
	// Label is the original message's method, or status and method
	// ("200 INVITE").
	Label string
}

// Option configures Mutate.
type Option func(*options)

type options struct {
	sut       []netip.AddrPort
	userFirst uint64 // WithUsers; 0: the template's users
}

// WithUsers gives each clone of a Template users of its own (NewTemplate
// only): the template's users (From and To, in order of first appearance)
// become, in clone i, first + i*len(users) + j, so that concurrent or
// later clones never share a registration. The PBX must know them all.
func WithUsers(first uint64) Option {
	return func(o *options) { o.userFirst = first }
}

// WithSUT names the addresses of the system under test; by default those
// of flow.New's PBX party.
func WithSUT(addrs ...netip.AddrPort) Option {
	return func(o *options) { o.sut = append(o.sut, addrs...) }
}

// Mutate applies one mutation of kind to msgs, choosing among the
// candidate messages with seed. It returns ErrNotApplicable when the
// capture has no candidate.
func Mutate(msgs []sipwire.Message, kind Kind, seed uint64, opts ...Option) (Mutation, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if len(o.sut) == 0 && len(msgs) > 0 {
		f := flow.New(msgs)
		for _, p := range f.Parties {
			if p.Role == flow.SUT {
				o.sut = p.Addrs
			}
		}
	}
	rng := rand.New(rand.NewPCG(seed, uint64(len(kind))))
	fromSUT := func(m sipwire.Message) bool { return slices.Contains(o.sut, m.Src) }
	var (
		mut Mutation
		err error
	)
	switch kind {
	case Status486:
		mut, err = status486(msgs, rng, fromSUT)
	case MissingACK:
		mut, err = removeRequest(msgs, rng, fromSUT, sip.ACK)
	case DroppedBYE:
		mut, err = removeRequest(msgs, rng, fromSUT, sip.BYE)
	case Codec:
		mut, err = changeCodec(msgs, rng, fromSUT)
	default:
		return Mutation{}, fmt.Errorf("capmut %s: %w", kind, ErrKind)
	}
	if err != nil {
		return Mutation{}, fmt.Errorf("capmut %s: %w", kind, err)
	}
	mut.Kind, mut.Seed = kind, seed
	return mut, nil
}

// MutateAll applies every kind that the capture allows, each with seed.
func MutateAll(msgs []sipwire.Message, seed uint64, opts ...Option) ([]Mutation, error) {
	var out []Mutation
	for _, k := range Kinds() {
		m, err := Mutate(msgs, k, seed, opts...)
		if err == nil {
			out = append(out, m)
			continue
		}
		if !isNotApplicable(err) {
			return nil, err
		}
	}
	return out, nil
}

// pick chooses one candidate index: among the SUT's first, else among all.
func pick(msgs []sipwire.Message, rng *rand.Rand, fromSUT func(sipwire.Message) bool, match func(sipwire.Message) bool) (int, bool) {
	var sut, any []int
	seen := map[dupKey]bool{}
	for i, m := range msgs {
		k := keyOf(m)
		if seen[k] { // a retransmission: its first copy is the candidate
			continue
		}
		seen[k] = true
		if !match(m) {
			continue
		}
		any = append(any, i)
		if fromSUT(m) {
			sut = append(sut, i)
		}
	}
	switch {
	case len(sut) > 0:
		return sut[rng.IntN(len(sut))], true
	case len(any) > 0:
		return any[rng.IntN(len(any))], true
	}
	return 0, false
}

// dupKey identifies copies of one message (flow's retransmission rule).
type dupKey struct {
	src, dst netip.AddrPort
	raw      string
}

func keyOf(m sipwire.Message) dupKey { return dupKey{m.Src, m.Dst, m.Msg.String()} }

// expect describes message i of msgs.
func expect(msgs []sipwire.Message, i int) Expect {
	target := callID(msgs[i].Msg)
	e := Expect{Index: i, CallID: target, Label: label(msgs[i].Msg)}
	calls := map[string]int{}
	seen := map[dupKey]bool{}
	for j, m := range msgs[:i+1] {
		k := keyOf(m)
		if seen[k] {
			continue
		}
		seen[k] = true
		id := callID(m.Msg)
		if _, ok := calls[id]; !ok {
			calls[id] = len(calls) + 1
		}
		if id == target && j < i && methodOf(m.Msg) != sip.OPTIONS {
			e.Step++
		}
	}
	e.Dialog = fmt.Sprintf("D%d", calls[target])
	return e
}

// replace returns a copy of msgs in which every copy of message i is
// replaced by m (nil: removed), and so is every message drop accepts.
func replace(msgs []sipwire.Message, i int, m sip.Message, drop func(sipwire.Message) bool) []sipwire.Message {
	k := keyOf(msgs[i])
	out := make([]sipwire.Message, 0, len(msgs))
	for _, x := range msgs {
		switch {
		case keyOf(x) == k:
			if m == nil {
				continue
			}
			x.Msg = m
		case drop != nil && drop(x):
			continue
		}
		out = append(out, x)
	}
	return out
}

// reparse is a deep copy of a message: sipgo serialises and parses it.
func reparse(m sip.Message) (sip.Message, error) {
	c, err := sip.NewParser().ParseSIP([]byte(m.String()))
	if err != nil {
		return nil, fmt.Errorf("reparse: %w", err)
	}
	return c, nil
}

func callID(m sip.Message) string {
	if c := m.CallID(); c != nil {
		return c.Value()
	}
	return ""
}

func methodOf(m sip.Message) sip.RequestMethod {
	if r, ok := m.(*sip.Request); ok {
		return r.Method
	}
	if c := m.CSeq(); c != nil {
		return c.MethodName
	}
	return ""
}

func label(m sip.Message) string {
	if r, ok := m.(*sip.Response); ok {
		return fmt.Sprintf("%d %s", r.StatusCode, methodOf(m))
	}
	return string(methodOf(m))
}
