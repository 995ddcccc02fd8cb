package call

// Media is the offer/answer seam of one bridge (RFC 3264): every SDP body
// that crosses the PBX from one leg of the bridge to another passes through
// it, in the direction it travels. Pass-through today; the media server
// anchors RTP here (rewriting addresses and ports) without touching the call
// flows. Methods run on the call's executor.
type Media interface {
	// Offer maps an offer that arrived on leg from (or, for a late offer,
	// in a 2xx from it) to the offer sent on leg to.
	Offer(from, to *Leg, sdp []byte) ([]byte, error)
	// Answer maps an answer that arrived on leg from to the answer sent on
	// leg to.
	Answer(from, to *Leg, sdp []byte) ([]byte, error)
	// Close releases what the bridge held; it runs once, when the call ends.
	Close()
}

// MediaFactory makes the seam of a new bridge.
type MediaFactory func(c *Call) Media

// PassThrough is the seam without a media server: bodies cross unchanged,
// media flows phone to phone.
type PassThrough struct{}

// Offer implements Media.
func (PassThrough) Offer(_, _ *Leg, sdp []byte) ([]byte, error) { return sdp, nil }

// Answer implements Media.
func (PassThrough) Answer(_, _ *Leg, sdp []byte) ([]byte, error) { return sdp, nil }

// Close implements Media.
func (PassThrough) Close() {}

// Bridge joins legs of a call so that what one says reaches the others
// through the bridge's Media seam. While a call rings, its bridge holds the
// caller's leg and every fork; on answer it keeps the caller and the winner.
type Bridge struct {
	media Media
	legs  []*Leg
	// early is the fork whose early-media SDP the caller was given.
	early *Leg
}

func newBridge(m Media, legs ...*Leg) *Bridge {
	b := &Bridge{media: m}
	for _, l := range legs {
		b.add(l)
	}
	return b
}

// add puts l in the bridge (out of any other).
func (b *Bridge) add(l *Leg) {
	if l.bridge != nil && l.bridge != b {
		l.bridge.remove(l)
	}
	if !b.has(l) {
		b.legs = append(b.legs, l)
	}
	l.bridge = b
}

// Legs returns the legs the bridge joins.
func (b *Bridge) Legs() []*Leg { return append([]*Leg(nil), b.legs...) }

// has reports whether l is in the bridge.
func (b *Bridge) has(l *Leg) bool {
	for _, x := range b.legs {
		if x == l {
			return true
		}
	}
	return false
}

// other returns the leg joined with l in a two-party bridge.
func (b *Bridge) other(l *Leg) *Leg {
	if len(b.legs) != 2 || !b.has(l) {
		return nil
	}
	if b.legs[0] == l {
		return b.legs[1]
	}
	return b.legs[0]
}

func (b *Bridge) remove(l *Leg) {
	out := b.legs[:0]
	for _, x := range b.legs {
		if x != l {
			out = append(out, x)
		}
	}
	b.legs = out
	if b.early == l {
		b.early = nil
	}
	if l.bridge == b {
		l.bridge = nil
	}
}

// offer passes an offer from one leg to another through the seam.
func (b *Bridge) offer(from, to *Leg, sdp []byte) ([]byte, error) {
	if len(sdp) == 0 {
		return nil, nil
	}
	out, err := b.media.Offer(from, to, sdp)
	if err == nil && len(out) > 0 {
		to.sawSDP = true
		to.noteSDP(out)
	}
	return out, err
}

// answer passes an answer from one leg to another through the seam.
func (b *Bridge) answer(from, to *Leg, sdp []byte) ([]byte, error) {
	if len(sdp) == 0 {
		return nil, nil
	}
	out, err := b.media.Answer(from, to, sdp)
	if err == nil && len(out) > 0 {
		to.sawSDP = true
		to.noteSDP(out)
	}
	return out, err
}

// earlyMedia applies the early-media rule to a fork's provisional response
// with SDP: the caller has one early dialog with the PBX, so it gets the
// SDP of the FIRST fork that sends early media; later forks' provisional
// responses reach it without SDP (as 180), so the caller never sees two
// answers. It returns the body for the caller, nil for none.
func (b *Bridge) earlyMedia(fork, caller *Leg, sdp []byte, lateOffer bool) ([]byte, error) {
	if b.early == nil {
		b.early = fork
	}
	if b.early != fork {
		return nil, nil
	}
	if lateOffer {
		// the caller made no offer: the fork's SDP is its offer
		return b.offer(fork, caller, sdp)
	}
	return b.answer(fork, caller, sdp)
}
