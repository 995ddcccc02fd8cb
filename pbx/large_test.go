package pbx_test

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/leakcheck"
	"pbxlab/internal/sipstack"
	"pbxlab/pbx/pbxtest"
)

// TestPBXReadsLargeUDPMessageInFull sends the PBX one UDP datagram of more
// than 40 kB: 40 padding headers, then the headers that identify the
// request (Via, From, To, Call-ID, CSeq). With sipgo's default read buffer
// (32 kB) the datagram is cut before them and the request is lost; with
// sipstack's the PBX reads it whole and answers it.
func TestPBXReadsLargeUDPMessageInFull(t *testing.T) {
	leakcheck.Check(t)
	if st, ok := sipstack.Current(); !ok || st.ReadBufferSize < 40*1024+1024 {
		t.Fatalf("sipstack read buffer %d: this test needs more than a 41 kB read", st.ReadBufferSize)
	}
	in, err := pbxtest.Start(nil, pbxtest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = in.Close() })
	conn, err := net.Dial("udp", in.Target())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()

	var b strings.Builder
	fmt.Fprintf(&b, "OPTIONS sip:%s SIP/2.0\r\n", in.Target())
	for i := range 40 {
		fmt.Fprintf(&b, "X-Pad-%02d: %s\r\n", i, strings.Repeat("p", 1024))
	}
	fmt.Fprintf(&b, "Via: SIP/2.0/UDP %s;branch=z9hG4bK-large-1;rport\r\n", conn.LocalAddr())
	fmt.Fprintf(&b, "Max-Forwards: 70\r\nFrom: <sip:probe@127.0.0.1>;tag=large\r\nTo: <sip:%s>\r\n", in.Target())
	b.WriteString("Call-ID: large-message-beyond-32k\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n")
	msg := b.String()
	if len(msg) <= 40*1024 {
		t.Fatalf("message is only %d bytes", len(msg))
	}
	if _, err := conn.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 65535)
	n, err := conn.Read(buf)
	if err != nil {
		t.Fatalf("no answer to a %d-byte OPTIONS: %v", len(msg), err)
	}
	m, err := sip.ParseMessage(buf[:n])
	if err != nil {
		t.Fatalf("parse answer: %v\n%s", err, buf[:n])
	}
	res, ok := m.(*sip.Response)
	if !ok || res.StatusCode != 200 || res.CallID().Value() != "large-message-beyond-32k" {
		t.Fatalf("answer to a %d-byte OPTIONS:\n%s", len(msg), buf[:n])
	}
}
