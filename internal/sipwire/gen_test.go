package sipwire

import (
	"bytes"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"pbxlab/internal/clock"
	"pbxlab/internal/pcapio"
)

// rtpPerDialog is how many RTP packets each side of a generated dialog
// sends (a second of 20 ms PCMU).
const rtpPerDialog = 50

// msgsPerDialog is how many SIP messages writeDialogs writes per dialog:
// INVITE, 100, 180, 200, ACK, BYE, 200.
const msgsPerDialog = 7

// dialogMsg is one SIP message of a generated dialog, from a to b.
func dialogMsg(startLine, callID, cseq string, a, b netip.AddrPort, transport string, sdp bool) []byte {
	body := ""
	if sdp {
		body = "v=0\r\no=- 1 1 IN IP4 " + a.Addr().String() + "\r\ns=-\r\nc=IN IP4 " + a.Addr().String() +
			"\r\nt=0 0\r\nm=audio 20000 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n" +
			"a=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n"
	}
	var sb strings.Builder
	sb.WriteString(startLine + "\r\n")
	fmt.Fprintf(&sb, "Via: SIP/2.0/%s %s;branch=z9hG4bK-%s-%s\r\n", transport, a, callID, strings.ReplaceAll(cseq, " ", ""))
	fmt.Fprintf(&sb, "From: <sip:1001@%s>;tag=f-%s\r\nTo: <sip:1002@%s>;tag=t-%s\r\n", a.Addr(), callID, b.Addr(), callID)
	fmt.Fprintf(&sb, "Call-ID: %s\r\nCSeq: %s\r\nMax-Forwards: 70\r\nContact: <sip:1001@%s>\r\n", callID, cseq, a)
	if sdp {
		sb.WriteString("Content-Type: application/sdp\r\n")
	}
	fmt.Fprintf(&sb, "Content-Length: %d\r\n\r\n%s", len(body), body)
	return []byte(sb.String())
}

// writeDialogs records n call dialogs numbered from first: odd ones over
// TCP (a connection each, the INVITE split over two segments), even ones
// over UDP, each with rtpPerDialog RTP packets both ways, 20 ms apart.
func writeDialogs(w *pcapio.Writer, clk *clock.Fake, first, n int) {
	rtp := append([]byte{0x80, 0, 0, 0, 0, 0, 0, 0, 0x11, 0x22, 0x33, 0x44}, bytes.Repeat([]byte{0xff}, 160)...)
	for i := first; i < first+n; i++ {
		host := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
		a := netip.AddrPortFrom(host, uint16(5060+i%1000))
		b := netip.MustParseAddrPort("192.0.2.1:5060")
		transport, send := "UDP", w.UDP
		if i%2 == 1 {
			transport, send = "TCP", w.TCP
		}
		id := fmt.Sprintf("d%d@pbxlab", i)
		invite := dialogMsg("INVITE sip:1002@192.0.2.1 SIP/2.0", id, "1 INVITE", a, b, transport, true)
		if transport == "TCP" {
			send(a, b, invite[:200])
			send(a, b, invite[200:])
		} else {
			send(a, b, invite)
		}
		send(b, a, dialogMsg("SIP/2.0 100 Trying", id, "1 INVITE", a, b, transport, false))
		send(b, a, dialogMsg("SIP/2.0 180 Ringing", id, "1 INVITE", a, b, transport, false))
		send(b, a, dialogMsg("SIP/2.0 200 OK", id, "1 INVITE", a, b, transport, true))
		send(a, b, dialogMsg("ACK sip:1002@192.0.2.1 SIP/2.0", id, "1 ACK", a, b, transport, false))
		ra, rb := netip.AddrPortFrom(host, 20000), netip.AddrPortFrom(b.Addr(), uint16(30000+2*(i%10000)))
		for k := range rtpPerDialog {
			rtp[3] = byte(k)
			w.UDP(ra, rb, rtp)
			w.UDP(rb, ra, rtp)
			clk.Advance(time.Millisecond)
		}
		send(a, b, dialogMsg("BYE sip:1002@192.0.2.1 SIP/2.0", id, "2 BYE", a, b, transport, false))
		send(b, a, dialogMsg("SIP/2.0 200 OK", id, "2 BYE", a, b, transport, false))
		if transport == "TCP" {
			w.TCPClose(a, b)
			w.TCPClose(b, a)
		}
	}
}
