package capmut

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/flow"
	"pbxlab/internal/pcapio"
	"pbxlab/internal/sipwire"
	"pbxlab/pcaps"
)

// identifiers lists a capture's Call-IDs, tags and branches.
func identifiers(msgs []sipwire.Message) []string {
	var out []string
	for _, m := range msgs {
		out = append(out, "call "+callID(m.Msg))
		if tag, ok := m.Msg.From().Params.Get("tag"); ok {
			out = append(out, "tag "+tag)
		}
		if tag, ok := m.Msg.To().Params.Get("tag"); ok {
			out = append(out, "tag "+tag)
		}
		for _, h := range m.Msg.GetHeaders("Via") {
			if b, ok := h.(*sip.ViaHeader).Params.Get("branch"); ok {
				out = append(out, "branch "+b)
			}
		}
	}
	return out
}

// TestCloneIsTheTemplateAnew: every golden capture's clones 0 and 1 keep
// the template's flow, the SUT's addresses and the message count, and
// share no Call-ID, tag, branch or party address with the template or
// each other; their times start where asked.
func TestCloneIsTheTemplateAnew(t *testing.T) {
	for _, name := range pcaps.GoldenNames() {
		t.Run(name, func(t *testing.T) {
			msgs := golden(t, name)
			setup, err := pcaps.GoldenSetup(name)
			if err != nil {
				t.Fatal(err)
			}
			sut := netip.MustParseAddrPort(setup.SUT)
			tpl, err := NewTemplate(msgs)
			if err != nil {
				t.Fatal(err)
			}
			if slices.Contains(tpl.Parties(), sut) || len(tpl.Parties()) == 0 {
				t.Fatalf("parties %v (sut %v)", tpl.Parties(), sut)
			}
			want := flow.New(msgs).String()
			seenIDs := map[string]int{}
			for _, id := range identifiers(msgs) {
				seenIDs[id] = -1
			}
			seenAddrs := map[netip.AddrPort]int{}
			for i := range 2 {
				start := time.Date(2030, 1, 1, 0, 0, i, 0, time.UTC)
				c, err := tpl.Clone(i, start)
				if err != nil {
					t.Fatal(err)
				}
				if len(c) != len(msgs) || !c[0].Time.Equal(start) {
					t.Fatalf("clone %d: %d messages from %v", i, len(c), c[0].Time)
				}
				if got := flow.New(c).String(); got != want {
					t.Fatalf("clone %d's flow differs:\n%s", i, flow.Compare(flow.New(msgs), flow.New(c)))
				}
				for _, id := range identifiers(c) {
					if j, ok := seenIDs[id]; ok && j != i {
						t.Fatalf("clone %d reuses %s (of %d; -1 is the template)", i, id, j)
					}
					seenIDs[id] = i
				}
				for _, m := range c {
					if m.Src != sut && m.Dst != sut {
						t.Fatalf("clone %d: message %v -> %v does not touch the sut", i, m.Src, m.Dst)
					}
					for _, a := range []netip.AddrPort{m.Src, m.Dst} {
						if a == sut {
							continue
						}
						if j, ok := seenAddrs[a]; ok && j != i || slices.Contains(tpl.Parties(), a) {
							t.Fatalf("clone %d uses party address %v of another", i, a)
						}
						seenAddrs[a] = i
					}
					if req, ok := m.Msg.(*sip.Request); ok && m.Src != sut && req.Via() != nil {
						via := req.Via()
						if hostPort(via.Host, via.Port) != m.Src {
							t.Errorf("clone %d: Via %s:%d, sent from %v", i, via.Host, via.Port, m.Src)
						}
					}
				}
			}
		})
	}
}

// TestMediaOfAnsweredCalls: each answered INVITE dialog of basic-call has
// a stream between its two ends' SDP addresses, from its 200 to its BYE.
func TestMediaOfAnsweredCalls(t *testing.T) {
	msgs := golden(t, "basic-call")
	media := MediaOf(msgs)
	if len(media) != 2 {
		t.Fatalf("%d streams, want 2 (one per leg): %+v", len(media), media)
	}
	for _, m := range media {
		if !m.A.IsValid() || !m.B.IsValid() || m.A == m.B || !m.To.After(m.From) {
			t.Errorf("stream %+v", m)
		}
	}
	if strings.Contains(media[0].CallID, " ") || media[0].CallID == media[1].CallID {
		t.Errorf("streams of calls %q and %q", media[0].CallID, media[1].CallID)
	}
}

// FuzzClone: a template is a user's capture; whatever its SIP, no panic,
// and a clone has the template's message count.
func FuzzClone(f *testing.F) {
	msgs := golden(f, "basic-call")
	for _, m := range msgs[12:14] {
		f.Add([]byte(m.Msg.String()), []byte(msgs[len(msgs)-1].Msg.String()))
	}
	f.Add([]byte("INVITE sip:[::1]:99999 SIP/2.0\r\nVia: SIP/2.0/UDP [::1]:0;branch=x;rport=;received=\r\nContact: <sip:a@[::1]:1>\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\nContent-Type: application/sdp\r\nContent-Length: 0\r\n\r\n"), []byte{})
	phone := netip.MustParseAddrPort("127.0.0.1:40000")
	pbx := netip.MustParseAddrPort("127.0.0.1:5060")
	f.Fuzz(func(t *testing.T, a, b []byte) {
		in := sipwire.FromPackets([]pcapio.Packet{
			{Proto: pcapio.ProtoUDP, Src: phone, Dst: pbx, Payload: a},
			{Proto: pcapio.ProtoUDP, Src: pbx, Dst: phone, Payload: b},
		})
		tpl, err := NewTemplate(in, WithSUT(pbx))
		if err != nil {
			return
		}
		c, err := tpl.Clone(3, time.Unix(0, 0))
		if err != nil {
			return
		}
		if len(c) != len(in) {
			t.Fatalf("%d messages cloned from %d", len(c), len(in))
		}
		_ = MediaOf(c)
	})
}
