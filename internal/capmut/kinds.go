package capmut

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"github.com/emiago/sipgo/sip"
	"github.com/pion/sdp/v3"

	"pbxlab/internal/sipwire"
)

func isNotApplicable(err error) bool { return errors.Is(err, ErrNotApplicable) }

// status486: a 200 to an INVITE becomes 486 Busy Here, without its SDP.
func status486(msgs []sipwire.Message, rng *rand.Rand, fromSUT func(sipwire.Message) bool) (Mutation, error) {
	is200 := func(invite bool) func(sipwire.Message) bool {
		return func(m sipwire.Message) bool {
			r, ok := m.Msg.(*sip.Response)
			return ok && r.StatusCode == 200 && (!invite || methodOf(r) == sip.INVITE)
		}
	}
	i, ok := pickPreferring(msgs, rng, fromSUT, is200(true), is200(false))
	if !ok {
		return Mutation{}, ErrNotApplicable
	}
	c, err := reparse(msgs[i].Msg)
	if err != nil {
		return Mutation{}, err
	}
	res := c.(*sip.Response)
	res.StatusCode, res.Reason = 486, "Busy Here"
	res.RemoveHeader("Content-Type")
	res.SetBody(nil)
	return Mutation{
		Description: fmt.Sprintf("message %d (%s, Call-ID %s) from %v answers 486 Busy Here instead of 200", i, label(msgs[i].Msg), callID(msgs[i].Msg), msgs[i].Src),
		Expect:      expect(msgs, i),
		Messages:    replace(msgs, i, res, nil),
	}, nil
}

// pickPreferring picks among the SUT's messages matching first, else
// among all matching first, else the same with second.
func pickPreferring(msgs []sipwire.Message, rng *rand.Rand, fromSUT func(sipwire.Message) bool, first, second func(sipwire.Message) bool) (int, bool) {
	sutFirst := func(m sipwire.Message) bool { return first(m) && fromSUT(m) }
	if i, ok := pick(msgs, rng, fromSUT, sutFirst); ok {
		return i, true
	}
	sutSecond := func(m sipwire.Message) bool { return second(m) && fromSUT(m) }
	if i, ok := pick(msgs, rng, fromSUT, sutSecond); ok {
		return i, true
	}
	if i, ok := pick(msgs, rng, fromSUT, first); ok {
		return i, true
	}
	return pick(msgs, rng, fromSUT, second)
}

// removeRequest removes a request of method (every copy) and, but for an
// ACK, the responses to it.
func removeRequest(msgs []sipwire.Message, rng *rand.Rand, fromSUT func(sipwire.Message) bool, method sip.RequestMethod) (Mutation, error) {
	i, ok := pick(msgs, rng, fromSUT, func(m sipwire.Message) bool {
		r, ok := m.Msg.(*sip.Request)
		return ok && r.Method == method
	})
	if !ok {
		return Mutation{}, ErrNotApplicable
	}
	req := msgs[i]
	cs := req.Msg.CSeq()
	var drop func(sipwire.Message) bool
	if method != sip.ACK && cs != nil {
		id, seq := callID(req.Msg), cs.SeqNo
		drop = func(m sipwire.Message) bool {
			r, ok := m.Msg.(*sip.Response)
			c := m.Msg.CSeq()
			return ok && c != nil && c.SeqNo == seq && c.MethodName == method && callID(r) == id && m.Src == req.Dst && m.Dst == req.Src
		}
	}
	what := "removed"
	if drop != nil {
		what = "removed with its responses"
	}
	return Mutation{
		Description: fmt.Sprintf("message %d (%s, Call-ID %s) from %v %s", i, method, callID(req.Msg), req.Src, what),
		Expect:      expect(msgs, i),
		Messages:    replace(msgs, i, nil, drop),
	}, nil
}

// replacements are the codecs a changed m= line may take, with their
// static payload types (RFC 3551).
var replacements = []struct {
	pt   uint8
	name string
}{{9, "G722/8000"}, {3, "GSM/8000"}, {18, "G729/8000"}, {4, "G723/8000"}}

// changeCodec replaces the first format of the first audio m= line of an
// SDP body with a codec the line does not offer.
func changeCodec(msgs []sipwire.Message, rng *rand.Rand, fromSUT func(sipwire.Message) bool) (Mutation, error) {
	i, ok := pick(msgs, rng, fromSUT, func(m sipwire.Message) bool { return audioIndex(m.Msg) >= 0 })
	if !ok {
		return Mutation{}, ErrNotApplicable
	}
	c, err := reparse(msgs[i].Msg)
	if err != nil {
		return Mutation{}, err
	}
	var sd sdp.SessionDescription
	if err := sd.Unmarshal(c.Body()); err != nil {
		return Mutation{}, fmt.Errorf("sdp: %w", err)
	}
	md := sd.MediaDescriptions[audioIndex(msgs[i].Msg)]
	var free []int
	for j, r := range replacements {
		if !slices.Contains(md.MediaName.Formats, strconv.Itoa(int(r.pt))) {
			free = append(free, j)
		}
	}
	if len(free) == 0 {
		return Mutation{}, ErrNotApplicable
	}
	r := replacements[free[rng.IntN(len(free))]]
	old := md.MediaName.Formats[0]
	md.MediaName.Formats[0] = strconv.Itoa(int(r.pt))
	attrs := md.Attributes[:0:0]
	for _, a := range md.Attributes {
		if (a.Key == "rtpmap" || a.Key == "fmtp") && firstField(a.Value) == old {
			continue // the replaced format's map and parameters go with it
		}
		attrs = append(attrs, a)
	}
	md.Attributes = append(attrs, sdp.Attribute{Key: "rtpmap", Value: fmt.Sprintf("%d %s", r.pt, r.name)})
	body, err := sd.Marshal()
	if err != nil {
		return Mutation{}, fmt.Errorf("sdp: %w", err)
	}
	c.SetBody(body)
	return Mutation{
		Description: fmt.Sprintf("message %d (%s, Call-ID %s) from %v offers %s instead of payload type %s", i, label(msgs[i].Msg), callID(msgs[i].Msg), msgs[i].Src, r.name, old),
		Expect:      expect(msgs, i),
		Messages:    replace(msgs, i, c, nil),
	}, nil
}

// audioIndex is the index of the first audio media description with at
// least one format in m's SDP body, -1 if none.
func audioIndex(m sip.Message) int {
	if len(m.Body()) == 0 {
		return -1
	}
	if ct := m.GetHeaders("Content-Type"); len(ct) > 0 && !strings.EqualFold(strings.TrimSpace(ct[0].Value()), "application/sdp") {
		return -1
	}
	var sd sdp.SessionDescription
	if err := sd.Unmarshal(m.Body()); err != nil {
		return -1
	}
	for i, md := range sd.MediaDescriptions {
		if md.MediaName.Media == "audio" && len(md.MediaName.Formats) > 0 {
			return i
		}
	}
	return -1
}

func firstField(s string) string {
	for i := range len(s) {
		if s[i] == ' ' {
			return s[:i]
		}
	}
	return s
}
