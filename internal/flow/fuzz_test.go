package flow

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/sipwire"
)

// FuzzParseText: a flow file is a user's file; no panic, and what parses
// writes back to text that parses to the same flow.
func FuzzParseText(f *testing.F) {
	f.Add("party PBX\nparty A 1001\nD1 A -> PBX INVITE ruri=1002\nD1/t1 PBX -> A 180 INVITE\n")
	f.Add("# c\nD1 A -> PBX 200\n")
	f.Add("D9/t9 ? -> ? 699 X a b c\n")
	f.Fuzz(func(t *testing.T, text string) {
		fl, err := ParseText(strings.NewReader(text))
		if err != nil {
			return
		}
		back, err := ParseText(strings.NewReader(fl.String()))
		if err != nil {
			t.Fatalf("the written text does not parse: %v\n%s", err, fl)
		}
		if r := Compare(fl, back, IgnoreMethods()); !r.Equal() {
			t.Fatalf("round trip differs:\n%s", r)
		}
	})
}

// FuzzNew: messages from a capture are a peer's bytes; whatever SIP
// parses, the flow names every step's parties and survives its text form.
func FuzzNew(f *testing.F) {
	for _, m := range call() {
		f.Add(m.text, "INVITE sip:1@h SIP/2.0\nVia: SIP/2.0/UDP [::1]:5060\nCall-ID: x\nCSeq: 1 INVITE\nFrom: <sip:a b@h>;tag=1\nTo: <sip:b@h>\n\nv=0")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		var msgs []sipwire.Message
		for i, text := range []string{a, b, a} {
			raw := strings.ReplaceAll(text, "\n", "\r\n")
			m, err := sip.ParseMessage([]byte(raw))
			if err != nil {
				continue
			}
			src := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(5060+i))
			msgs = append(msgs, sipwire.Message{Src: src, Dst: pbxUDP, Msg: m})
		}
		fl := New(msgs)
		roles := map[string]bool{}
		for _, p := range fl.Parties {
			roles[p.Role] = true
		}
		for _, s := range fl.Steps {
			if !roles[s.From] || !roles[s.To] {
				t.Fatalf("step %+v names a party not in %+v", s, fl.Parties)
			}
		}
		back, err := ParseText(strings.NewReader(fl.String()))
		if err != nil {
			t.Fatalf("the flow's text does not parse: %v\n%s", err, fl)
		}
		if r := Compare(fl, back, IgnoreMethods()); !r.Equal() {
			t.Fatalf("round trip differs:\n%s", r)
		}
	})
}
