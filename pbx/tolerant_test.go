package pbx_test

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"pbxlab/pbx/pbxtest"
)

// TestRequestWithoutEmptyLine: an OPTIONS over UDP whose headers end
// without the empty line (RFC 3261 §7 wants one; Asterisk's stack accepts
// its absence) is answered as a request without a body, not dropped.
func TestRequestWithoutEmptyLine(t *testing.T) {
	in := startPBX(t, nil, pbxtest.Options{})
	c, err := net.Dial("udp", in.UDP.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	local := c.LocalAddr().String()
	for i, end := range []string{"", "\r\n"} {
		msg := fmt.Sprintf("OPTIONS sip:%s SIP/2.0\r\n"+
			"Via: SIP/2.0/UDP %s;rport;branch=z9hG4bK-noempty%d\r\n"+
			"Max-Forwards: 70\r\nTo: <sip:%s>\r\nFrom: <sip:probe@%s>;tag=p%d\r\n"+
			"Call-ID: noempty-%d\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0%s", in.UDP, local, i, in.UDP, local, i, i, end)
		if _, err := c.Write([]byte(msg)); err != nil {
			t.Fatal(err)
		}
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		buf := make([]byte, 4096)
		n, err := c.Read(buf)
		if err != nil {
			t.Fatalf("no answer to an OPTIONS ending %q: %v", end, err)
		}
		if res := string(buf[:n]); !strings.HasPrefix(res, "SIP/2.0 200") || !strings.Contains(res, fmt.Sprintf("noempty-%d", i)) {
			t.Fatalf("OPTIONS ending %q answered:\n%s", end, res)
		}
	}
}
