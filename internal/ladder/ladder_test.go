package ladder

import (
	"bytes"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"pbxlab/internal/clock"
	"pbxlab/internal/pcapio"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

var (
	phoneA = netip.MustParseAddrPort("127.0.0.1:40001")
	pbx    = netip.MustParseAddrPort("127.0.0.1:5060")
	phoneB = netip.MustParseAddrPort("127.0.0.1:40002")
)

func request(method, callID string, seq int) string {
	return method + " sip:1002@127.0.0.1 SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP 127.0.0.1:40001;branch=z9hG4bK-" + callID + method + "\r\n" +
		"From: <sip:1001@127.0.0.1>;tag=a\r\nTo: <sip:1002@127.0.0.1>\r\n" +
		"Call-ID: " + callID + "\r\nCSeq: " + itoa(seq) + " " + method + "\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
}

func response(code int, reason, method, callID string, seq int) string {
	return "SIP/2.0 " + itoa(code) + " " + reason + "\r\n" +
		"Via: SIP/2.0/UDP 127.0.0.1:40001;branch=z9hG4bK-" + callID + method + "\r\n" +
		"From: <sip:1001@127.0.0.1>;tag=a\r\nTo: <sip:1002@127.0.0.1>;tag=b\r\n" +
		"Call-ID: " + callID + "\r\nCSeq: " + itoa(seq) + " " + method + "\r\nContent-Length: 0\r\n\r\n"
}

func itoa(n int) string { return strconv.Itoa(n) }

// callCapture records a call: the caller over UDP, the callee over TCP, an
// RTP-like datagram that is no SIP, and a TCP segment carrying two
// messages; timestamps from a fake clock, so the bytes are the same on
// every run.
func callCapture(t *testing.T) []byte {
	t.Helper()
	clk := clock.NewFake(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	var buf bytes.Buffer
	w, err := pcapio.NewWriter(&buf, pcapio.WithClock(clk))
	if err != nil {
		t.Fatal(err)
	}
	step := func() { clk.Advance(15 * time.Millisecond) }
	w.UDP(phoneA, pbx, []byte(request("INVITE", "c1", 1)))
	step()
	w.UDP(pbx, phoneA, []byte(response(100, "Trying", "INVITE", "c1", 1)))
	step()
	w.TCP(pbx, phoneB, []byte(request("INVITE", "c2", 1)))
	step()
	w.TCP(phoneB, pbx, []byte(response(180, "Ringing", "INVITE", "c2", 1)+response(200, "OK", "INVITE", "c2", 1)))
	step()
	w.UDP(phoneA, phoneB, []byte{0x80, 0x00, 0x01, 0x02, 0xde, 0xad}) // RTP
	step()
	w.UDP(pbx, phoneA, []byte(response(200, "OK", "INVITE", "c1", 1)))
	step()
	w.UDP(phoneA, pbx, []byte(request("ACK", "c1", 1)))
	step()
	w.UDP(phoneA, pbx, []byte(request("BYE", "c1", 2)))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestFromPackets(t *testing.T) {
	pkts, err := pcapio.Read(bytes.NewReader(callCapture(t)))
	if err != nil {
		t.Fatal(err)
	}
	msgs := FromPackets(pkts)
	var labels []string
	for _, m := range msgs {
		labels = append(labels, m.Label)
	}
	want := "INVITE|100 Trying (INVITE)|INVITE|180 Ringing (INVITE)|200 OK (INVITE)|200 OK (INVITE)|ACK|BYE"
	if got := strings.Join(labels, "|"); got != want {
		t.Fatalf("labels\n got %s\nwant %s", got, want)
	}
	if msgs[2].Src != pbx || msgs[2].Dst != phoneB || msgs[3].Src != phoneB || !msgs[3].Response || msgs[2].Response {
		t.Errorf("TCP messages: %+v %+v", msgs[2], msgs[3])
	}
	if msgs[7].Detail != "CSeq: 2 BYE; Call-ID: c1" {
		t.Errorf("detail %q", msgs[7].Detail)
	}
}

// TestSVGGolden draws the call capture and compares it with
// testdata/call.svg (go test -update rewrites it).
func TestSVGGolden(t *testing.T) {
	pkts, err := pcapio.Read(bytes.NewReader(callCapture(t)))
	if err != nil {
		t.Fatal(err)
	}
	d := New(FromPackets(pkts), WithName(pbx, "PBX"))
	if len(d.Endpoints) != 3 || d.Endpoints[0].Addr != phoneA || d.Endpoints[1].Name != "PBX" {
		t.Fatalf("endpoints %+v", d.Endpoints)
	}
	var got bytes.Buffer
	if err := d.SVG(&got); err != nil {
		t.Fatal(err)
	}
	golden(t, "call.svg", got.Bytes())
}

// TestResponseAfterItsRequest: a response recorded before its request (a
// tap records a write after the socket call) is drawn after it; the rest
// keeps its time order.
func TestResponseAfterItsRequest(t *testing.T) {
	at := func(ms int) time.Time { return time.Unix(0, int64(ms)*int64(time.Millisecond)) }
	msgs := []Message{
		{Time: at(1), Src: pbx, Dst: phoneA, Label: "100", Response: true, CallID: "c", CSeq: "2 REGISTER"},
		{Time: at(2), Src: pbx, Dst: phoneA, Label: "200", Response: true, CallID: "c", CSeq: "2 REGISTER"},
		{Time: at(3), Src: phoneB, Dst: pbx, Label: "OPTIONS", CallID: "o", CSeq: "1 OPTIONS"},
		{Time: at(4), Src: phoneA, Dst: pbx, Label: "REGISTER", CallID: "c", CSeq: "2 REGISTER"},
		{Time: at(5), Src: pbx, Dst: phoneB, Label: "stray", Response: true, CallID: "x", CSeq: "9 BYE"},
	}
	var got []string
	for _, m := range New(msgs).Messages {
		got = append(got, m.Label)
	}
	if s := strings.Join(got, " "); s != "OPTIONS REGISTER 100 200 stray" {
		t.Errorf("order %q", s)
	}
}

func TestSVGEmptyAndTruncated(t *testing.T) {
	var b bytes.Buffer
	if err := New(nil).SVG(&b); err != nil || !strings.Contains(b.String(), "no SIP messages") {
		t.Errorf("empty: %v\n%s", err, b.String())
	}
	var msgs []Message
	for i := range 10 {
		msgs = append(msgs, Message{Time: time.Unix(int64(i), 0), Src: phoneA, Dst: pbx, Label: "OPTIONS <&>"})
	}
	d := New(msgs, WithMaxMessages(4))
	b.Reset()
	if err := d.SVG(&b); err != nil {
		t.Fatal(err)
	}
	if d.Omitted != 6 || len(d.Messages) != 4 || !strings.Contains(b.String(), "6 more messages") || !strings.Contains(b.String(), "OPTIONS &lt;&amp;&gt;") {
		t.Errorf("truncated: omitted %d, %d drawn\n%s", d.Omitted, len(d.Messages), b.String())
	}
}

func TestReadFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.pcapng")
	if err := os.WriteFile(path, callCapture(t), 0o644); err != nil {
		t.Fatal(err)
	}
	msgs, err := ReadFile(path)
	if err != nil || len(msgs) != 8 {
		t.Errorf("ReadFile: %d messages, %v", len(msgs), err)
	}
	if _, err := ReadFile(filepath.Join(t.TempDir(), "missing.pcapng")); err == nil {
		t.Error("ReadFile of a missing file: no error")
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the output (go test -update rewrites it):\n%s", path, got)
	}
}
