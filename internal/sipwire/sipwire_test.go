package sipwire

import (
	"bytes"
	"net/netip"
	"strconv"
	"testing"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/pcapio"
)

var (
	phone = netip.MustParseAddrPort("127.0.0.1:40000")
	pbx   = netip.MustParseAddrPort("127.0.0.1:5060")
)

func request(method, callID string, seq int) string {
	return method + " sip:1002@127.0.0.1 SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP 127.0.0.1:40000;branch=z9hG4bK-" + callID + method + "\r\n" +
		"From: <sip:1001@127.0.0.1>;tag=a\r\nTo: <sip:1002@127.0.0.1>\r\n" +
		"Call-ID: " + callID + "\r\nCSeq: " + strconv.Itoa(seq) + " " + method + "\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
}

// TestFromPackets: UDP datagrams one by one, RTP left out, a TCP segment
// holding two messages and a message split over two segments, and a TCP
// direction that carried garbage picking up again at its next segment.
func TestFromPackets(t *testing.T) {
	split := request("BYE", "c3", 2)
	pkts := []pcapio.Packet{
		{Proto: pcapio.ProtoUDP, Src: phone, Dst: pbx, Payload: []byte(request("INVITE", "c1", 1))},
		{Proto: pcapio.ProtoUDP, Src: phone, Dst: pbx, Payload: []byte{0x80, 0, 1, 2, 3}},
		{Proto: pcapio.ProtoUDP, Src: phone, Dst: pbx, Payload: []byte("INVITE broken\r\n\r\n")},
		{Proto: pcapio.ProtoTCP, Src: pbx, Dst: phone, Payload: []byte(request("OPTIONS", "c2", 1) + request("OPTIONS", "c2", 2))},
		{Proto: pcapio.ProtoTCP, Src: pbx, Dst: phone, Payload: []byte(split[:20])},
		{Proto: pcapio.ProtoTCP, Src: pbx, Dst: phone, Payload: []byte(split[20:])},
		{Proto: pcapio.ProtoTCP, Src: phone, Dst: pbx, Payload: []byte("\x00\x01garbage\r\n\r\n")},
		{Proto: pcapio.ProtoTCP, Src: phone, Dst: pbx, Payload: []byte(request("ACK", "c4", 1))},
	}
	got := FromPackets(pkts)
	var labels []string
	for _, m := range got {
		r, ok := m.Msg.(*sip.Request)
		if !ok {
			t.Fatalf("not a request: %v", m.Msg)
		}
		labels = append(labels, string(r.Method)+" "+m.Msg.CallID().Value()+" "+m.Proto)
	}
	want := []string{"INVITE c1 udp", "OPTIONS c2 tcp", "OPTIONS c2 tcp", "BYE c3 tcp", "ACK c4 tcp"}
	if len(labels) != len(want) {
		t.Fatalf("messages %v, want %v", labels, want)
	}
	for i := range want {
		if labels[i] != want[i] {
			t.Errorf("message %d is %q, want %q", i, labels[i], want[i])
		}
	}
	if got[0].Src != phone || got[0].Dst != pbx || got[1].Src != pbx {
		t.Errorf("addresses: %+v %+v", got[0], got[1])
	}
}

// TestReadBytesDamaged: a capture cut short gives the messages before the
// cut and an error.
func TestReadBytesDamaged(t *testing.T) {
	var buf bytes.Buffer
	w, err := pcapio.NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	w.UDP(phone, pbx, []byte(request("REGISTER", "r1", 1)))
	w.UDP(phone, pbx, []byte(request("REGISTER", "r1", 2)))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	full := buf.Bytes()
	msgs, err := ReadBytes(full)
	if err != nil || len(msgs) != 2 {
		t.Fatalf("whole capture: %d messages, %v", len(msgs), err)
	}
	msgs, err = ReadBytes(full[:len(full)-10])
	if err == nil || len(msgs) != 1 {
		t.Fatalf("cut capture: %d messages, %v; want the first and an error", len(msgs), err)
	}
	if _, err := ReadFile("testdata/none.pcapng"); err == nil {
		t.Error("a missing file reads without error")
	}
}

// FuzzFromPackets: a capture is a user's file; whatever the payloads, no
// panic, and every message comes from one of the packets' address pairs.
func FuzzFromPackets(f *testing.F) {
	f.Add([]byte(request("INVITE", "c1", 1)), []byte(request("BYE", "c1", 2)))
	f.Add([]byte("SIP/2.0 200 OK\r\nContent-Length: 99\r\n\r\n"), []byte{0x80, 0, 1})
	f.Fuzz(func(t *testing.T, a, b []byte) {
		pkts := []pcapio.Packet{
			{Proto: pcapio.ProtoUDP, Src: phone, Dst: pbx, Payload: a},
			{Proto: pcapio.ProtoTCP, Src: pbx, Dst: phone, Payload: a},
			{Proto: pcapio.ProtoTCP, Src: pbx, Dst: phone, Payload: b},
			{Proto: pcapio.ProtoUDP, Src: pbx, Dst: phone, Payload: b},
		}
		for _, m := range FromPackets(pkts) {
			if !(m.Src == phone && m.Dst == pbx) && !(m.Src == pbx && m.Dst == phone) {
				t.Fatalf("message from %v to %v", m.Src, m.Dst)
			}
			if m.Msg == nil {
				t.Fatal("nil message")
			}
		}
	})
}
