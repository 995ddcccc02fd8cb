package replay

import (
	"fmt"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/pcapio"
	"pbxlab/internal/sipwire"
)

// invite is an initial INVITE (or, with toTag, an in-dialog request) of
// Call-ID id from user a to user b.
func invite(t *testing.T, id, a, b string, toTag bool) sipwire.Message {
	t.Helper()
	tag := ""
	if toTag {
		tag = ";tag=x"
	}
	raw := fmt.Sprintf("INVITE sip:%s@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.2:5060;branch=z9hG4bK%s\r\n"+
		"From: <sip:%s@127.0.0.1>;tag=f\r\nTo: <sip:%s@127.0.0.1>%s\r\nCall-ID: %s\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n", b, id, a, b, tag, id)
	m, err := sip.ParseMessage([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	return sipwire.Message{Time: time.Unix(0, 0), Proto: pcapio.ProtoUDP, Src: netip.MustParseAddrPort("127.0.0.2:5060"), Dst: netip.MustParseAddrPort("127.0.0.1:5060"), Msg: m}
}

func sourceOf(msgs []sipwire.Message, w Windowing) *source {
	s, _ := openSource(Config{Messages: msgs, Window: w.withDefaults()})
	return s
}

func callIDs(msgs []sipwire.Message) []string {
	var out []string
	for _, m := range msgs {
		if id := callIDOf(m); !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// TestSourceCutsWindowsOfCalls: windows of Dialogs Call-IDs in capture
// order; a dialog's messages within the look-ahead join its window; the
// leg a B2BUA starts for a window's call (same caller and callee) joins
// it even past the count; a message of a dialog of an earlier window read
// past the look-ahead is late (dropped); Limit stops the cutting.
func TestSourceCutsWindowsOfCalls(t *testing.T) {
	msgs := []sipwire.Message{
		invite(t, "a", "1", "2", false),
		invite(t, "b", "3", "4", false),
		invite(t, "c", "5", "6", false),  // the second window's
		invite(t, "a2", "1", "2", false), // the B2BUA's leg of a: first window
		invite(t, "a", "1", "2", true),   // a, within the look-ahead
		invite(t, "d", "7", "8", false),
		invite(t, "e", "9", "10", false),
		invite(t, "b", "3", "4", true), // b, past the look-ahead: late
	}
	s := sourceOf(msgs, Windowing{Dialogs: 2, Lookahead: 3})
	var got [][]string
	for !s.exhausted() {
		got = append(got, callIDs(s.cut()))
	}
	want := [][]string{{"a", "b", "a2"}, {"c", "d"}, {"e"}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("windows %v, want %v", got, want)
	}
	if s.late != 1 {
		t.Errorf("%d late messages, want 1", s.late)
	}
	s = sourceOf(msgs, Windowing{Dialogs: 2, Lookahead: 3, Limit: 3})
	got = nil
	for !s.exhausted() {
		got = append(got, callIDs(s.cut()))
	}
	if want := [][]string{{"a", "b", "a2"}}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("with limit 3: windows %v, want %v", got, want)
	}
}
