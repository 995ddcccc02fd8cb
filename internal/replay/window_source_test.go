package replay

import (
	"bytes"
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

func sourceOf(t *testing.T, msgs []sipwire.Message, w Windowing) *source {
	t.Helper()
	s, err := openSource(Config{Messages: append([]sipwire.Message{}, msgs...), Window: w.withDefaults()})
	if err != nil {
		t.Fatal(err)
	}
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
	s := sourceOf(t, msgs, Windowing{Dialogs: 2, Lookahead: 3})
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
	s = sourceOf(t, msgs, Windowing{Dialogs: 2, Lookahead: 3, Limit: 3})
	got = nil
	for !s.exhausted() {
		got = append(got, callIDs(s.cut()))
	}
	if want := [][]string{{"a", "b", "a2"}}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("with limit 3: windows %v, want %v", got, want)
	}
}

// FuzzSourceCut: whatever SIP messages a capture holds (each fuzz input
// split at "\n--\n", each part parsed by sipgo) and whatever the window,
// the cut ends, and every message is in one window or counted late.
func FuzzSourceCut(f *testing.F) {
	f.Add([]byte("INVITE sip:2@h SIP/2.0\r\nFrom: <sip:1@h>;tag=a\r\nTo: <sip:2@h>\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\n\r\n\n--\nSIP/2.0 200 OK\r\nCall-ID: y\r\nCSeq: 1 INVITE\r\n\r\n"), 1, 1)
	f.Add([]byte("BYE sip:2@h SIP/2.0\r\nCall-ID: x\r\nCSeq: 2 BYE\r\n\r\n"), 3, 0)
	f.Fuzz(func(t *testing.T, data []byte, dialogs, lookahead int) {
		var msgs []sipwire.Message
		for _, part := range bytes.Split(data, []byte("\n--\n")) {
			if m, err := sip.ParseMessage(part); err == nil {
				msgs = append(msgs, sipwire.Message{Msg: m})
			}
		}
		s := sourceOf(t, msgs, Windowing{Dialogs: dialogs % 50, Lookahead: lookahead % 50})
		n := 0
		for cuts := 0; !s.exhausted(); cuts++ {
			if cuts > len(msgs)+1 {
				t.Fatalf("%d cuts of %d messages: the cut does not end", cuts, len(msgs))
			}
			n += len(s.cut())
		}
		if n+s.late != len(msgs) {
			t.Fatalf("%d messages in windows and %d late, of %d", n, s.late, len(msgs))
		}
	})
}
