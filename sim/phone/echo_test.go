package phone

import (
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/pion/rtp"
	"github.com/zaf/g711"

	"pbxlab/internal/sdpneg"
)

func rtpPacket(t testing.TB, pt uint8, payload []byte) []byte {
	t.Helper()
	b, err := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: pt, SequenceNumber: 1, SSRC: 7}, Payload: payload}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestEchoBuffer: received G.711 comes out decoded, in order, a frame at a
// time; other payload types and junk are ignored; silence fills the gaps;
// at most echoMax samples wait.
func TestEchoBuffer(t *testing.T) {
	e := newEchoBuffer()
	pcmu, pcma := sdpneg.PCMU(), sdpneg.PCMA()
	payload := []byte{0x00, 0x10, 0x80, 0xff}
	e.push(rtpPacket(t, pcmu.PT, payload), pcmu)
	e.push(rtpPacket(t, pcma.PT, payload), pcmu) // not the stream's payload type
	e.push([]byte("not rtp"), pcmu)
	out := make([]int16, 6)
	e.fill(out)
	var want []int16
	for _, b := range payload {
		want = append(want, g711.DecodeUlawFrame(b))
	}
	if !slices.Equal(out, append(want, 0, 0)) {
		t.Fatalf("µ-law echo %v, want %v then silence", out, want)
	}
	e.push(rtpPacket(t, pcma.PT, payload), pcma)
	e.fill(out[:2])
	if out[0] != g711.DecodeAlawFrame(payload[0]) || out[1] != g711.DecodeAlawFrame(payload[1]) {
		t.Fatalf("A-law echo %v", out[:2])
	}
	for range 100 {
		e.push(rtpPacket(t, pcmu.PT, make([]byte, 160)), pcmu)
	}
	if n := len(e.buf); n != echoMax {
		t.Fatalf("%d samples wait, want at most %d", n, echoMax)
	}
}

// FuzzEchoPush feeds datagrams from the network to the echo: it must never
// panic nor hold more than echoMax samples.
func FuzzEchoPush(f *testing.F) {
	f.Add(rtpPacket(f, 0, []byte{1, 2, 3}))
	f.Add([]byte{0x80, 0x00})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		e := newEchoBuffer()
		e.push(data, sdpneg.PCMU())
		e.push(data, sdpneg.PCMA())
		if len(e.buf) > echoMax {
			t.Fatalf("%d samples held", len(e.buf))
		}
		e.fill(make([]int16, 160))
	})
}

// FuzzBindingsOf feeds registrar answers from the network to the code that
// lists the bindings: no panic, no negative lifetime.
func FuzzBindingsOf(f *testing.F) {
	f.Add([]byte("SIP/2.0 200 OK\r\nContact: <sip:1000@127.0.0.1:5062>;expires=3599\r\nContact: <sip:1000@192.0.2.9>\r\nContent-Length: 0\r\n\r\n"))
	f.Add([]byte("SIP/2.0 200 OK\r\nContact: <sip:1000@127.0.0.1:5062>;expires=-1, *\r\n\r\n"))
	f.Add([]byte("SIP/2.0 200 OK\r\nContact: <sip:1000@127.0.0.1:5062>;expires=99999999999999999999\r\n\r\n"))
	ours := sip.Uri{Scheme: "sip", User: "1000", Host: netip.MustParseAddr("127.0.0.1").String(), Port: 5062}
	parser := sip.NewParser()
	f.Fuzz(func(t *testing.T, data []byte) {
		msg, err := parser.ParseSIP(data)
		if err != nil {
			return
		}
		res, ok := msg.(*sip.Response)
		if !ok {
			return
		}
		for _, b := range bindingsOf(res, ours) {
			if b.Expires < 0 || b.Expires > (1<<32-1)*time.Second {
				t.Fatalf("lifetime %v", b.Expires)
			}
		}
	})
}
