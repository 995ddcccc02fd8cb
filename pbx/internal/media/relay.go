package media

// route is where an endpoint's accepted RTP goes: the far leg's endpoint,
// and per incoming payload type what to do (map the payload type, transcode
// G.711, or drop). Routes are immutable; Link replaces them atomically.
type route struct {
	out *Endpoint
	act [128]action
}

// newRoute plans packets from a leg that negotiated from towards a leg
// that negotiated to.
func newRoute(out *Endpoint, from, to *LegMedia) *route {
	r := &route{out: out}
	for pt := range r.act {
		if id := from.ids[pt]; id != codecNone {
			r.act[pt] = plan(id, &to.takes)
		}
	}
	return r
}

// Link relays a's leg to b's and back: each endpoint's accepted RTP goes
// out of the other's socket to the other's leg, payload types mapped,
// G.711 µ-law and A-law transcoded where the legs negotiated different
// laws, G.722 passed only when both have it, RFC 4733 events passed with
// their payload type mapped (dropped towards a leg without them). RTCP
// follows the same routes. Call it again whenever either leg's LegMedia
// changes; both endpoints must have one.
func Link(a, b *Endpoint) {
	am, bm := a.leg.Load(), b.leg.Load()
	if am == nil || bm == nil || a.isolated.Load() || b.isolated.Load() {
		return
	}
	a.route.Store(newRoute(b, am, bm))
	b.route.Store(newRoute(a, bm, am))
}

// Unlink stops relaying what e receives (its far leg went away).
func (e *Endpoint) Unlink() { e.route.Store(nil) }

// Peer is the endpoint e relays to (nil: none).
func (e *Endpoint) Peer() *Endpoint {
	if r := e.route.Load(); r != nil {
		return r.out
	}
	return nil
}
