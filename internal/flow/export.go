package flow

import (
	"net/netip"
	"slices"
	"strconv"

	"pbxlab/internal/sipwire"
)

// Order returns the messages New works on: retransmissions left out, each
// message after the one that caused it (see causal). A replayer walks a
// capture in this order.
func Order(msgs []sipwire.Message) []sipwire.Message { return causal(dedupe(msgs)) }

// SUTAddrs returns the transport addresses of the system under test, as
// New names it: the party of the WithSUT address, else its guess (the
// registrar, else the party that talks to the most others). The addresses
// are in order of first appearance.
func SUTAddrs(msgs []sipwire.Message, opts ...Option) []netip.AddrPort {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	n := newNamer(Order(msgs), o)
	return slices.Clone(n.addrs[n.sut])
}

// CallNames returns the placeholder ("D1") New gives each Call-ID of
// msgs.
func CallNames(msgs []sipwire.Message) map[string]string {
	out := map[string]string{}
	for _, m := range Order(msgs) {
		id := callIDOf(m.Msg)
		if _, ok := out[id]; !ok {
			out[id] = "D" + strconv.Itoa(len(out)+1)
		}
	}
	return out
}
