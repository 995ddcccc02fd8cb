package sdpneg

import (
	"bytes"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
)

// offerMark is the session id an Offerer marshals its template with, found
// again in the o= line to split it: Offer writes sessID twice there (id and
// version), as decimal.
const offerMark = uint64(1<<62 - 1)

// Offerer makes the offers of one address and codec list, byte for byte
// those of Offer: the SDP is marshalled once, each offer only writes its
// session id and version (a load run's signalling-only calls all offer the
// same placeholder address). Safe for concurrent use.
type Offerer struct {
	local  netip.AddrPort
	codecs []Codec
	// head is the SDP up to the o= line's session id, tail what follows
	// its session version.
	head, tail []byte
}

// NewOfferer marshals the offer of local and codecs once, as Offer does.
func NewOfferer(local netip.AddrPort, codecs []Codec) (*Offerer, error) {
	b, err := Offer(local, codecs, offerMark)
	if err != nil {
		return nil, err
	}
	// o=pbxlab MARK MARK IN IP4 ...: head ends at the space before the
	// id, tail starts after the version
	digits := strconv.FormatUint(offerMark, 10)
	ids := []byte(" " + digits + " " + digits + " ")
	i := bytes.Index(b, ids)
	if i < 0 {
		return nil, fmt.Errorf("offer template: %w: no session id and version", ErrMalformed)
	}
	return &Offerer{
		local:  local,
		codecs: slices.Clone(codecs),
		head:   slices.Clone(b[:i+1]),
		tail:   slices.Clone(b[i+len(ids)-1:]),
	}, nil
}

// Offer is Offer(local, codecs, sessID) of the Offerer's address and codecs.
func (o *Offerer) Offer(sessID uint64) []byte {
	b := make([]byte, 0, len(o.head)+len(o.tail)+41)
	b = append(b, o.head...)
	b = strconv.AppendUint(b, sessID, 10)
	b = append(b, ' ')
	b = strconv.AppendUint(b, sessID, 10)
	return append(b, o.tail...)
}

// For reports whether the Offerer makes the offers of local and codecs.
func (o *Offerer) For(local netip.AddrPort, codecs []Codec) bool {
	return o.local == local && slices.Equal(o.codecs, codecs)
}
