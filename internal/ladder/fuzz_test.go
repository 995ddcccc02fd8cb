package ladder

import (
	"bytes"
	"io"
	"net/netip"
	"testing"

	"pbxlab/internal/pcapio"
)

// FuzzFromPackets feeds arbitrary payloads (a capture is a user's file)
// to the message extraction and the drawing, over UDP and TCP: no panic,
// and every drawn arrow joins two columns.
func FuzzFromPackets(f *testing.F) {
	f.Add([]byte(request("INVITE", "c1", 1)), []byte(response(200, "OK", "INVITE", "c1", 1)))
	f.Add([]byte("SIP/2.0 200 OK\r\nContent-Length: 99\r\n\r\n"), []byte("INVITE x SIP/2.0\r\n\r\n"))
	f.Add([]byte{0x80, 0, 1, 2}, []byte("\r\n\r\n"))
	f.Fuzz(func(t *testing.T, a, b []byte) {
		pkts := []pcapio.Packet{
			{Proto: pcapio.ProtoUDP, Src: phoneA, Dst: pbx, Payload: a},
			{Proto: pcapio.ProtoTCP, Src: pbx, Dst: phoneB, Payload: a},
			{Proto: pcapio.ProtoTCP, Src: pbx, Dst: phoneB, Payload: b},
			{Proto: pcapio.ProtoUDP, Src: phoneB, Dst: netip.AddrPort{}, Payload: b},
		}
		d := New(FromPackets(pkts))
		cols := map[netip.AddrPort]bool{}
		for _, e := range d.Endpoints {
			cols[e.Addr] = true
		}
		for _, m := range d.Messages {
			if !cols[m.Src] || !cols[m.Dst] {
				t.Fatalf("arrow %v -> %v outside the columns %v", m.Src, m.Dst, d.Endpoints)
			}
		}
		if err := d.SVG(io.Discard); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		_ = d.SVG(&buf)
		if !bytes.HasSuffix(buf.Bytes(), []byte("</svg>\n")) {
			t.Fatal("unterminated svg")
		}
	})
}
