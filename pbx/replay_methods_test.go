package pbx_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

// TestNonInviteRequestsReplayed: OPTIONS and the in-dialog methods (here an
// INFO outside any dialog, answered 481) are answered through sipx.Replay
// over UDP, like REGISTER and BYE: the final response is kept to answer a
// retransmission (pbxlab_sip_replayed_responses counts it) instead of a
// sipgo transaction, and the retransmission gets the same bytes.
func TestNonInviteRequestsReplayed(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	in, base := startPBXAdmin(t)
	uac, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer uac.Close()
	pbxAddr := net.UDPAddrFromAddrPort(in.UDP)
	me := uac.LocalAddr().String()
	exchange := func(msg string, want int) string {
		t.Helper()
		if _, err := uac.WriteToUDP([]byte(msg), pbxAddr); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 65535)
		for {
			_ = uac.SetReadDeadline(time.Now().Add(10 * time.Second))
			n, err := uac.Read(buf)
			if err != nil {
				t.Fatalf("no answer to:\n%s\n%v", msg, err)
			}
			m, err := sip.ParseMessage(buf[:n])
			if res, ok := m.(*sip.Response); err == nil && ok && res.StatusCode >= 200 {
				if res.StatusCode != want {
					t.Fatalf("answered %d, want %d:\n%s", res.StatusCode, want, buf[:n])
				}
				return string(buf[:n])
			}
		}
	}
	request := func(method sip.RequestMethod, n int) string {
		return fmt.Sprintf("%s sip:1000@%s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK-replayed-%d\r\n"+
			"From: <sip:probe@%s>;tag=probe-%d\r\nTo: <sip:1000@%s>\r\nCall-ID: replayed-%d\r\nCSeq: 1 %s\r\n"+
			"Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n", method, in.UDP, me, n, me, n, in.UDP, n, method)
	}
	for i, c := range []struct {
		method sip.RequestMethod
		code   int
	}{{sip.OPTIONS, 200}, {sip.INFO, 481}} {
		first := exchange(request(c.method, i), c.code)
		again := exchange(request(c.method, i), c.code) // a retransmission: same branch
		if first != again {
			t.Errorf("%s: the retransmission was answered otherwise:\n%s\n---\n%s", c.method, first, again)
		}
		_, _, body := httpGet(ctx, t, base+"/metrics")
		want := fmt.Sprintf("pbxlab_sip_replayed_responses %d", i+1)
		if !strings.Contains(body, want+"\n") {
			t.Errorf("after %s: metrics lack %q", c.method, want)
		}
	}
}
