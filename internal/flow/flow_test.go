package flow

import (
	"bytes"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/sipwire"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

var (
	pbxUDP  = netip.MustParseAddrPort("127.0.0.1:5060")
	pbxTCP  = netip.MustParseAddrPort("127.0.0.1:51234") // the PBX's ephemeral port of a TCP connection it dialled
	phones  = netip.MustParseAddrPort("127.0.0.1:40000") // 1001 and 1002 share the simulator's socket
	phoneC  = netip.MustParseAddrPort("127.0.0.1:40003")
	sdpBody = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 20000 RTP/AVP 0 8 101\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n"
)

// msg is a SIP message for the tests; headers separated by \n, the body
// after a blank line.
type msg struct {
	src, dst netip.AddrPort
	proto    string
	text     string
}

func parse(t testing.TB, ms []msg) []sipwire.Message {
	t.Helper()
	var out []sipwire.Message
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for i, m := range ms {
		head, body, _ := strings.Cut(m.text, "\n\n")
		raw := strings.ReplaceAll(head, "\n", "\r\n") + "\r\n"
		if body != "" {
			raw += "Content-Type: application/sdp\r\n"
		}
		raw += "Content-Length: " + itoa(len(body)) + "\r\n\r\n" + body
		p, err := sip.ParseMessage([]byte(raw))
		if err != nil {
			t.Fatalf("message %d: %v\n%s", i, err, raw)
		}
		proto := m.proto
		if proto == "" {
			proto = "udp"
		}
		out = append(out, sipwire.Message{Time: at.Add(time.Duration(i) * time.Millisecond), Proto: proto, Src: m.src, Dst: m.dst, Msg: p})
	}
	return out
}

func itoa(n int) string { return strconv.Itoa(n) }

// nameAddr writes "user@host;tag=x" as <sip:user@host>;tag=x.
func nameAddr(v string) string {
	uri, params, _ := strings.Cut(v, ";")
	out := "<sip:" + uri + ">"
	if params != "" {
		out += ";" + params
	}
	return out
}

// req and res build messages of one Call-ID.
func req(method, ruri, via, from, to, callID string, cseq int, extra ...string) string {
	h := []string{
		method + " sip:" + ruri + " SIP/2.0",
		"Via: SIP/2.0/UDP " + via + ";branch=z9hG4bK" + callID + method + itoa(cseq),
		"From: " + nameAddr(from), "To: " + nameAddr(to),
		"Call-ID: " + callID, "CSeq: " + itoa(cseq) + " " + method, "Max-Forwards: 70",
	}
	return strings.Join(append(h, extra...), "\n")
}

func res(code int, method, via, from, to, callID string, cseq int, extra ...string) string {
	h := []string{
		"SIP/2.0 " + itoa(code) + " Whatever",
		"Via: SIP/2.0/UDP " + via + ";branch=z9hG4bK" + callID + method + itoa(cseq),
		"From: " + nameAddr(from), "To: " + nameAddr(to),
		"Call-ID: " + callID, "CSeq: " + itoa(cseq) + " " + method,
	}
	return strings.Join(append(h, extra...), "\n")
}

// call is 1001 registering, then calling 1002 through the PBX, which
// reaches 1002 over TCP; a 180 retransmitted; 1002 hangs up.
func call() []msg {
	const (
		a  = "1001@127.0.0.1;tag=fa"
		a2 = "1001@127.0.0.1;tag=fa2"
		b  = "1002@127.0.0.1"
		pv = "127.0.0.1:5060"
		av = "127.0.0.1:40000"
	)
	invite := req("INVITE", "1002@127.0.0.1", av, a, b, "ca", 1, "Contact: <sip:1001@127.0.0.1:40000>") + "\n\n" + sdpBody
	inviteB := req("INVITE", "1002@127.0.0.1:40000", pv, a2, b, "cb", 7, "Contact: <sip:pbx@127.0.0.1:5060>", "Diversion: <sip:1009@127.0.0.1>;reason=unconditional") + "\n\n" + sdpBody
	ringB := res(180, "INVITE", pv, a2, b+";tag=tb", "cb", 7)
	return []msg{
		{phones, pbxUDP, "", req("REGISTER", "127.0.0.1", av, "1001@127.0.0.1;tag=r1", "1001@127.0.0.1", "reg1", 1, "Expires: 60")},
		{pbxUDP, phones, "", res(200, "REGISTER", av, "1001@127.0.0.1;tag=r1", "1001@127.0.0.1;tag=x", "reg1", 1)},
		{phones, pbxUDP, "", invite},
		{pbxUDP, phones, "", res(100, "INVITE", av, a, b, "ca", 1)},
		{pbxTCP, phones, "tcp", inviteB},
		{phones, pbxTCP, "tcp", ringB},
		{phones, pbxTCP, "tcp", ringB}, // a retransmission: left out
		{pbxUDP, phones, "", res(180, "INVITE", av, a, b+";tag=ta", "ca", 1)},
		{phones, pbxTCP, "tcp", res(200, "INVITE", pv, a2, b+";tag=tb", "cb", 7) + "\n\n" + sdpBody},
		{pbxTCP, phones, "tcp", req("ACK", "1002@127.0.0.1:40000", pv, a2, b+";tag=tb", "cb", 7)},
		{pbxUDP, phones, "", res(200, "INVITE", av, a, b+";tag=ta", "ca", 1) + "\n\n" + sdpBody},
		{phones, pbxUDP, "", req("ACK", "1002@127.0.0.1", av, a, b+";tag=ta", "ca", 1)},
		{phones, pbxTCP, "tcp", req("BYE", "pbx@127.0.0.1:5060", "127.0.0.1:40000", b+";tag=tb", a2, "cb", 1)},
		{pbxTCP, phones, "tcp", res(200, "BYE", "127.0.0.1:40000", b+";tag=tb", a2, "cb", 1)},
		{pbxUDP, phones, "", req("BYE", "1001@127.0.0.1:40000", pv, b+";tag=ta", a, "ca", 2, "Reason: SIP;cause=200;text=\"x\"")},
		{phones, pbxUDP, "", res(200, "BYE", pv, b+";tag=ta", a, "ca", 2)},
	}
}

func TestNewGolden(t *testing.T) {
	f := New(parse(t, call()))
	got := f.String()
	path := filepath.Join("testdata", "call.flow")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("flow differs from %s (run with -update if the change is meant):\n%s", path, got)
	}
}

func TestNewNamesPartiesAndPlaceholders(t *testing.T) {
	f := New(parse(t, call()))
	roles := map[string]string{}
	for _, p := range f.Parties {
		roles[p.Role] = p.User
	}
	if len(f.Parties) != 3 || roles["A"] != "1001" || roles["B"] != "1002" {
		t.Fatalf("parties %+v, want PBX, A 1001, B 1002 (two phones on one socket)", f.Parties)
	}
	pbx := f.Parties[0]
	if pbx.Role != SUT || len(pbx.Addrs) != 2 {
		t.Errorf("the PBX %+v, want its UDP port and the TCP connection it dialled as one party", pbx)
	}
	if len(f.Steps) != len(call())-1 {
		t.Errorf("%d steps, want %d (the retransmitted 180 left out)", len(f.Steps), len(call())-1)
	}
	inv := f.Steps[4]
	if inv.From != SUT || inv.To != "B" || inv.Dialog != "D3" || inv.Label() != "INVITE" {
		t.Errorf("the INVITE to B: %+v", inv)
	}
	for _, want := range []string{"ruri=1002", "from=1001", "diversion=1009(unconditional)", "sdp=sendrecv,PCMU,PCMA,telephone-event"} {
		if !strings.Contains(strings.Join(inv.Attrs, " "), want) {
			t.Errorf("the INVITE to B has %v, want %s", inv.Attrs, want)
		}
	}
	if bye := f.Steps[13]; bye.Dialog != "D2/t1" || bye.From != SUT || strings.Join(bye.Attrs, " ") != "reason=SIP;cause=200" {
		t.Errorf("the PBX's BYE to A: %+v", bye)
	}
	if s := New(parse(t, call()), WithSUT(phones)); s.Parties[0].Addrs[0] != phones {
		t.Errorf("WithSUT: the PBX is %+v", s.Parties[0])
	}
}

func TestTextRoundTrip(t *testing.T) {
	f := New(parse(t, call()))
	back, err := ParseText(strings.NewReader(f.String()))
	if err != nil {
		t.Fatal(err)
	}
	if r := Compare(f, back); !r.Equal() {
		t.Fatalf("a flow read back from its text differs:\n%s", r)
	}
	if back.String() != f.String() {
		t.Errorf("text differs after a round trip:\n%s\nvs\n%s", back, f)
	}
}

// TestCompareFlagsMutations: each seeded change to a run is flagged in its
// dialog at the message where it happened.
func TestCompareFlagsMutations(t *testing.T) {
	ref := New(parse(t, call()))
	mutate := func(fn func([]msg) []msg) Flow { return New(parse(t, fn(call()))) }
	cases := []struct {
		name  string
		run   Flow
		call  string
		index int // index of the first differing line in the dialog's diff
	}{
		{"486 where the 200 was", mutate(func(ms []msg) []msg {
			ms[8].text = strings.Replace(ms[8].text, "SIP/2.0 200", "SIP/2.0 486", 1)
			return ms
		}), "D3", 2},
		{"a missing ACK", mutate(func(ms []msg) []msg { return append(ms[:11:11], ms[12:]...) }), "D2", 4},
		{"a dropped BYE", mutate(func(ms []msg) []msg { return append(ms[:12:12], ms[13:]...) }), "D3", 4},
		{"a changed codec", mutate(func(ms []msg) []msg {
			ms[10].text = strings.Replace(ms[10].text, "RTP/AVP 0 8 101", "RTP/AVP 8 101", 1)
			return ms
		}), "D2", 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := Compare(ref, c.run)
			if r.Equal() {
				t.Fatal("not flagged")
			}
			for _, d := range r.Dialogs {
				if d.Call != c.call {
					if !d.Equal() {
						t.Errorf("%s flagged too:\n%s", d.Call, r)
					}
					continue
				}
				if got := d.FirstDifference(); got != c.index {
					t.Errorf("flagged at line %d of %s, want %d:\n%s", got, d.Call, c.index, r)
				}
			}
		})
	}
}

func TestCompareTolerances(t *testing.T) {
	ref := New(parse(t, call()))
	ms := call()
	ms[8].text = strings.Replace(ms[8].text, "SIP/2.0 200", "SIP/2.0 202", 1)
	ms[4].text = strings.Replace(ms[4].text, "Diversion", "X-Diversion", 1)
	run := New(parse(t, ms))
	if Compare(ref, run).Equal() {
		t.Fatal("a 202 for a 200 and a missing Diversion not flagged")
	}
	if r := Compare(ref, run, StatusClassOnly(), IgnoreAttrs("diversion")); !r.Equal() {
		t.Errorf("with the tolerances the flows should match:\n%s", r)
	}
	opts := append(call()[:2:2], msg{phones, pbxUDP, "", req("OPTIONS", "127.0.0.1", "127.0.0.1:40000", "1001@127.0.0.1;tag=o", "1001@127.0.0.1", "opt", 1)})
	if r := Compare(New(parse(t, call()[:2])), New(parse(t, opts))); !r.Equal() {
		t.Errorf("OPTIONS are left out by default:\n%s", r)
	}
	if r := Compare(New(parse(t, call()[:2])), New(parse(t, opts)), IgnoreMethods()); r.Equal() {
		t.Error("IgnoreMethods() compares OPTIONS too")
	}
}

func TestParseTextErrors(t *testing.T) {
	for _, c := range []struct{ text, want string }{
		{"party\n", "line 1"},
		{"# c\n\nD1 A => PBX INVITE\n", "line 3"},
		{"X1 A -> PBX INVITE\n", "dialog"},
		{"D1 A -> PBX 999 INVITE\n", "out of range"},
		{"D1 A -> PBX 200\n", "line 1"},
	} {
		_, err := ParseText(strings.NewReader(c.text))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want an error naming %q", c.text, err, c.want)
		}
	}
}

func TestWriteHTML(t *testing.T) {
	f := New(parse(t, call()))
	r := Compare(f, f)
	var buf bytes.Buffer
	if err := f.WriteHTML(&buf, "call <1>", f.Ladder(nil), &r); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	for _, want := range []string{"call &lt;1&gt;", "<svg", "PBX -&gt; B    INVITE", "D1: same"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
}

// TestCausalOrder: a capture tap records a write when the socket call
// returns, so an answer can be recorded before what caused it; the flow
// is the same either way.
func TestCausalOrder(t *testing.T) {
	const (
		a  = "1001@127.0.0.1;tag=fa"
		b  = "1002@127.0.0.1"
		av = "127.0.0.1:40000"
	)
	inOrder := []msg{
		{phones, pbxUDP, "", req("REGISTER", "127.0.0.1", av, "1001@127.0.0.1;tag=r", "1001@127.0.0.1", "reg", 1)},
		{pbxUDP, phones, "", res(401, "REGISTER", av, "1001@127.0.0.1;tag=r", "1001@127.0.0.1;tag=x", "reg", 1, `WWW-Authenticate: Digest realm="r", nonce="n"`)},
		{phones, pbxUDP, "", req("REGISTER", "127.0.0.1", av, "1001@127.0.0.1;tag=r", "1001@127.0.0.1", "reg", 2, `Authorization: Digest username="1001"`)},
		{pbxUDP, phones, "", res(200, "REGISTER", av, "1001@127.0.0.1;tag=r", "1001@127.0.0.1;tag=y", "reg", 2)},
		{phones, pbxUDP, "", req("INVITE", "1002@127.0.0.1", av, a, b, "c", 1) + "\n\n" + sdpBody},
		{pbxUDP, phones, "", res(486, "INVITE", av, a, b+";tag=z", "c", 1)},
		{phones, pbxUDP, "", req("ACK", "1002@127.0.0.1", av, a, b+";tag=z", "c", 1)},
	}
	sameFlowIn(t, inOrder,
		[]int{0, 2, 1, 3, 4, 6, 5}, // the retry before the challenge, the ACK before the 486
		[]int{0, 1, 2, 3, 5, 6, 4}, // the 486 and its ACK before the INVITE
		[]int{1, 0, 3, 2, 6, 5, 4}, // everything answered before it was asked
	)
}

// sameFlowIn fails t unless each recorded order (indexes into inOrder)
// gives inOrder's flow.
func sameFlowIn(t *testing.T, inOrder []msg, orders ...[]int) {
	t.Helper()
	want := New(parse(t, inOrder))
	for _, order := range orders {
		var recorded []msg
		for _, i := range order {
			recorded = append(recorded, inOrder[i])
		}
		got := New(parse(t, recorded))
		if r := Compare(want, got); !r.Equal() || want.String() != got.String() {
			t.Fatalf("the recorded order %v changed the flow:\n%s\n%s\nwant\n%s", order, r, got, want)
		}
	}
}

// TestCausalOrderHangUpAtOnce: a caller that hangs up as soon as it is
// answered sends ACK and BYE before the PBX's write of the 200 is
// recorded; the BYE still comes after the 200 that set the dialog up.
func TestCausalOrderHangUpAtOnce(t *testing.T) {
	const (
		a  = "1001@127.0.0.1;tag=fa"
		b  = "1002@127.0.0.1"
		av = "127.0.0.1:40000"
	)
	inOrder := []msg{
		{phones, pbxUDP, "", req("INVITE", "1002@127.0.0.1", av, a, b, "c", 1) + "\n\n" + sdpBody},
		{pbxUDP, phones, "", res(200, "INVITE", av, a, b+";tag=z", "c", 1)},
		{phones, pbxUDP, "", req("ACK", "1002@127.0.0.1", av, a, b+";tag=z", "c", 1)},
		{phones, pbxUDP, "", req("BYE", "1002@127.0.0.1", av, a, b+";tag=z", "c", 2)},
		{pbxUDP, phones, "", res(200, "BYE", av, a, b+";tag=z", "c", 2)},
	}
	sameFlowIn(t, inOrder, []int{0, 2, 3, 1, 4}, []int{0, 2, 3, 4, 1})
}

func TestMapUsers(t *testing.T) {
	f := New(parse(t, call()))
	real := f.MapUsers(func(u string) string { return strings.Replace(u, "100", "205", 1) })
	if !strings.Contains(real.String(), "party A 2051") || !strings.Contains(real.String(), "ruri=2052 from=2051 diversion=2059(unconditional)") {
		t.Fatalf("users not renamed:\n%s", real)
	}
	back := real.MapUsers(func(u string) string { return strings.Replace(u, "205", "100", 1) })
	if r := Compare(f, back); !r.Equal() || back.String() != f.String() {
		t.Fatalf("renamed back, the flow differs:\n%s", r)
	}
}

// A softphone that registers its AOR with a contact user of its own
// (baresip: 1001 with Contact sip:1001-0x55d0…@host:port) is one party, the
// AOR's: the INVITE a proxy sends to its contact has ruri= the AOR, with no
// to= (it is the To user), and there is no extra party for the contact
// user. A contact user the capture holds no REGISTER for is kept as is.
func TestNewRegisteredContactUser(t *testing.T) {
	register := msg{phoneC, pbxUDP, "", "REGISTER sip:127.0.0.1 SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:40003;branch=z9hG4bKr1\nFrom: <sip:1001@127.0.0.1>;tag=r1\nTo: <sip:1001@127.0.0.1>\nCall-ID: reg-1\nCSeq: 1 REGISTER\nContact: <sip:1001-0x55d0@127.0.0.1:40003;transport=udp>;expires=600"}
	registered := msg{pbxUDP, phoneC, "", "SIP/2.0 200 OK\nVia: SIP/2.0/UDP 127.0.0.1:40003;branch=z9hG4bKr1\nFrom: <sip:1001@127.0.0.1>;tag=r1\nTo: <sip:1001@127.0.0.1>;tag=r2\nCall-ID: reg-1\nCSeq: 1 REGISTER\nContact: <sip:1001-0x55d0@127.0.0.1:40003;transport=udp>;expires=600"}
	call := []msg{
		{phones, pbxUDP, "", "INVITE sip:1001@127.0.0.1 SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:40000;branch=z9hG4bKi1\nFrom: <sip:1002@127.0.0.1>;tag=a\nTo: <sip:1001@127.0.0.1>\nCall-ID: call-1\nCSeq: 1 INVITE\n\n" + sdpBody},
		{pbxUDP, phoneC, "", "INVITE sip:1001-0x55d0@127.0.0.1:40003 SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKp1\nVia: SIP/2.0/UDP 127.0.0.1:40000;branch=z9hG4bKi1\nFrom: <sip:1002@127.0.0.1>;tag=a\nTo: <sip:1001@127.0.0.1>\nCall-ID: call-1\nCSeq: 1 INVITE\n\n" + sdpBody},
		{phoneC, pbxUDP, "", "SIP/2.0 180 Ringing\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKp1\nVia: SIP/2.0/UDP 127.0.0.1:40000;branch=z9hG4bKi1\nFrom: <sip:1002@127.0.0.1>;tag=a\nTo: <sip:1001@127.0.0.1>;tag=b\nCall-ID: call-1\nCSeq: 1 INVITE"},
	}
	for _, tc := range []struct {
		name        string
		msgs        []msg
		parties     []string // role:user
		invite      string   // the attributes of the INVITE to 1001's contact
		inviteTo    string
		ringingFrom string
	}{
		{"registered in the capture", append([]msg{register, registered}, call...),
			[]string{"PBX:", "A:1001", "B:1002"}, "ruri=1001 from=1002 sdp=sendrecv,PCMU,PCMA,telephone-event", "A", "A"},
		{"no REGISTER in the capture", call,
			[]string{"PBX:", "A:1002", "B:1001-0x55d0"}, "ruri=1001-0x55d0 from=1002 to=1001 sdp=sendrecv,PCMU,PCMA,telephone-event", "B", "B"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := New(parse(t, tc.msgs), WithSUT(pbxUDP))
			var parties []string
			for _, p := range f.Parties {
				parties = append(parties, p.Role+":"+p.User)
			}
			if strings.Join(parties, " ") != strings.Join(tc.parties, " ") {
				t.Errorf("parties %v, want %v", parties, tc.parties)
			}
			n := len(f.Steps)
			inv, ringing := f.Steps[n-2], f.Steps[n-1]
			if inv.From != SUT || inv.To != tc.inviteTo || strings.Join(inv.Attrs, " ") != tc.invite {
				t.Errorf("the INVITE to the contact: %+v, want to %s with %s", inv, tc.inviteTo, tc.invite)
			}
			if ringing.From != tc.ringingFrom || ringing.Label() != "180 INVITE" {
				t.Errorf("the 180: %+v, want from %s", ringing, tc.ringingFrom)
			}
		})
	}
}

// TestNewLeavesOutReACK: a 2xx retransmitted (byte for byte, left out)
// gets the ACK again as a new transaction with another branch: the second
// ACK, same Call-ID and CSeq on the same path, is left out too, so the
// flow does not depend on how slow the ACK was.
func TestNewLeavesOutReACK(t *testing.T) {
	ms := call()
	ack := ms[11]
	if !strings.HasPrefix(ack.text, "ACK ") {
		t.Fatalf("message 11 is not the caller's ACK: %s", ack.text)
	}
	reACK := ack
	reACK.text = strings.Replace(ack.text, ";branch=z9hG4bK", ";branch=z9hG4bKagain", 1)
	withReACK := append(append(append([]msg{}, ms[:12]...), ms[10], reACK), ms[12:]...)
	got, want := New(parse(t, withReACK)), New(parse(t, ms))
	if got.String() != want.String() {
		t.Errorf("with a retransmitted 200 and its second ACK:\n%s\nwant:\n%s", got, want)
	}
	// a later ACK of the same dialog with a new CSeq is a step of its own
	other := ack
	other.text = strings.Replace(strings.Replace(ack.text, "CSeq: 1 ACK", "CSeq: 2 ACK", 1), ";branch=z9hG4bK", ";branch=z9hG4bKnew", 1)
	more := append(append(append([]msg{}, ms[:12]...), other), ms[12:]...)
	if n, m := len(New(parse(t, more)).Steps), len(want.Steps); n != m+1 {
		t.Errorf("an ACK with another CSeq: %d steps, want %d", n, m+1)
	}
}

// TestCausalOrderPRACK: a caller that acknowledges a reliable 183 at once
// sends its PRACK before the PBX's write of the 183 is recorded (CI's TCP
// run saw it); the PRACK still comes after the 183 its RAck names.
func TestCausalOrderPRACK(t *testing.T) {
	const (
		a  = "1001@127.0.0.1;tag=fa"
		b  = "1002@127.0.0.1;tag=z"
		av = "127.0.0.1:40000"
	)
	rel := []string{"Require: 100rel", "RSeq: 1"}
	inOrder := []msg{
		{phones, pbxUDP, "", req("INVITE", "1002@127.0.0.1", av, a, "1002@127.0.0.1", "c", 1, "Require: 100rel") + "\n\n" + sdpBody},
		{pbxUDP, phones, "", res(100, "INVITE", av, a, "1002@127.0.0.1", "c", 1)},
		{pbxUDP, phones, "", res(183, "INVITE", av, a, b, "c", 1, rel...) + "\n\n" + sdpBody},
		{phones, pbxUDP, "", req("PRACK", "1002@127.0.0.1", av, a, b, "c", 2, "RAck: 1 1 INVITE")},
		{pbxUDP, phones, "", res(200, "PRACK", av, a, b, "c", 2)},
		{pbxUDP, phones, "", res(200, "INVITE", av, a, b, "c", 1) + "\n\n" + sdpBody},
	}
	sameFlowIn(t, inOrder, []int{0, 1, 3, 2, 4, 5}, []int{0, 1, 3, 4, 2, 5})
	// a PRACK naming an RSeq no response carried keeps its place
	other := slices.Clone(inOrder)
	other[3].text = strings.Replace(other[3].text, "RAck: 1 1 INVITE", "RAck: 9 1 INVITE", 1)
	moved := []msg{other[0], other[1], other[3], other[2], other[4], other[5]}
	if got := New(parse(t, moved)); got.Steps[2].Method != "PRACK" {
		t.Fatalf("a PRACK naming no response moved:\n%s", got)
	}
}

// TestCompareIgnoresLateTrying: a 100 to a re-INVITE (sent only when the
// answer takes over 200 ms) is left out; one to an initial INVITE is not.
func TestCompareIgnoresLateTrying(t *testing.T) {
	const (
		a  = "1001@127.0.0.1;tag=fa"
		b  = "1002@127.0.0.1;tag=z"
		av = "127.0.0.1:40000"
	)
	base := []msg{
		{phones, pbxUDP, "", req("INVITE", "1002@127.0.0.1", av, a, "1002@127.0.0.1", "c", 1) + "\n\n" + sdpBody},
		{pbxUDP, phones, "", res(100, "INVITE", av, a, "1002@127.0.0.1", "c", 1)},
		{pbxUDP, phones, "", res(200, "INVITE", av, a, b, "c", 1) + "\n\n" + sdpBody},
		{phones, pbxUDP, "", req("ACK", "1002@127.0.0.1", av, a, b, "c", 1)},
		{phones, pbxUDP, "", req("INVITE", "1002@127.0.0.1", av, a, b, "c", 2) + "\n\n" + sdpBody},
		{pbxUDP, phones, "", res(200, "INVITE", av, a, b, "c", 2) + "\n\n" + sdpBody},
		{phones, pbxUDP, "", req("ACK", "1002@127.0.0.1", av, a, b, "c", 2)},
	}
	slow := slices.Insert(slices.Clone(base), 5, msg{pbxUDP, phones, "", res(100, "INVITE", av, a, b, "c", 2)})
	if r := Compare(New(parse(t, base)), New(parse(t, slow))); !r.Equal() {
		t.Errorf("a 100 to the re-INVITE counted:\n%s", r)
	}
	noTrying := slices.Delete(slices.Clone(base), 1, 2)
	if r := Compare(New(parse(t, base)), New(parse(t, noTrying))); r.Equal() {
		t.Error("a missing 100 to the initial INVITE went unnoticed")
	}
}
