package pbx_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"pbxlab/pbx/pbxtest"
)

// TestTCPPingPong: RFC 5626 §4.4.1 (and §3.5.1): a double CRLF on an idle
// TCP connection is a ping, answered with one CRLF (the pong), also when
// TCP delivers it in one segment with a second ping or with the request
// that follows it; the connection then carries requests as before.
func TestTCPPingPong(t *testing.T) {
	in := startPBX(t, nil, pbxtest.Options{})
	for _, tc := range []struct {
		name, send string
		pongs      int
	}{
		{"ping alone", "\r\n\r\n", 1},
		{"two pings in one segment", "\r\n\r\n\r\n\r\n", 2},
		{"ping then a request in one segment", "\r\n\r\n%s", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := net.Dial("tcp", in.TCP.String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(5 * time.Second))
			r := bufio.NewReader(c)
			opt := options(in.TCP.String(), c.LocalAddr().String(), tc.name)
			send := tc.send
			if strings.Contains(send, "%s") {
				send = fmt.Sprintf(send, opt)
			}
			if _, err := io.WriteString(c, send); err != nil {
				t.Fatal(err)
			}
			for i := range tc.pongs {
				pong := make([]byte, 2)
				if _, err := io.ReadFull(r, pong); err != nil || string(pong) != "\r\n" {
					t.Fatalf("pong %d: %q, %v; want CRLF", i+1, pong, err)
				}
			}
			if !strings.Contains(send, "OPTIONS") {
				if _, err := io.WriteString(c, opt); err != nil {
					t.Fatal(err)
				}
			}
			status, err := r.ReadString('\n')
			if err != nil || status != "SIP/2.0 200 OK\r\n" {
				t.Fatalf("after the ping, the OPTIONS got %q, %v (a third CRLF would be a pong too many)", status, err)
			}
		})
	}
}

func options(pbx, local, id string) string {
	id = strings.ReplaceAll(id, " ", "-")
	return fmt.Sprintf("OPTIONS sip:%s SIP/2.0\r\n"+
		"Via: SIP/2.0/TCP %s;rport;branch=z9hG4bK-%s\r\n"+
		"Max-Forwards: 70\r\nTo: <sip:%s>\r\nFrom: <sip:probe@%s>;tag=p1\r\n"+
		"Call-ID: ka-%s\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n", pbx, local, id, pbx, local, id)
}

// TestTCPLargeMessages: a request far larger than a TCP connection's read
// buffer (4 KiB, third_party/sipgo) arrives over many reads, written in
// pieces, and is answered; so is the small one that follows it on the
// same connection.
func TestTCPLargeMessages(t *testing.T) {
	in := startPBX(t, nil, pbxtest.Options{})
	c, err := net.Dial("tcp", in.TCP.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(c)
	big := options(in.TCP.String(), c.LocalAddr().String(), "big")
	head, rest, _ := strings.Cut(big, "\r\n")
	var pad strings.Builder
	for i := range 40 {
		fmt.Fprintf(&pad, "X-Pad-%02d: %s\r\n", i, strings.Repeat("p", 1000))
	}
	big = head + "\r\n" + pad.String() + rest
	for i := 0; i < len(big); i += 1500 { // in pieces, as segments come
		if _, err := io.WriteString(c, big[i:min(i+1500, len(big))]); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := io.WriteString(c, options(in.TCP.String(), c.LocalAddr().String(), "small")); err != nil {
		t.Fatal(err)
	}
	for _, which := range []string{"big", "small"} {
		status, err := r.ReadString('\n')
		if err != nil || status != "SIP/2.0 200 OK\r\n" {
			t.Fatalf("the %s OPTIONS (%d bytes) got %q, %v", which, len(big), status, err)
		}
		for { // the rest of the response, up to its blank line (no body)
			line, err := r.ReadString('\n')
			if err != nil {
				t.Fatal(err)
			}
			if line == "\r\n" {
				break
			}
		}
	}
}
