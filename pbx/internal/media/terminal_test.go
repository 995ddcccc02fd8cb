package media

import (
	"net/netip"
	"testing"

	"pbxlab/internal/sdpneg"
)

// FuzzTerminalAnswer: whatever offer a caller sends to a room, the PBX's
// own answer (Terminate, LocalAnswer) either refuses it with an error or is
// an SDP that parses back with exactly one G.711 codec first, the mirrored
// direction and the PBX's address.
func FuzzTerminalAnswer(f *testing.F) {
	pbxAddr := netip.MustParseAddrPort("192.0.2.1:20000")
	for _, codecs := range [][]sdpneg.Codec{sdpneg.DefaultCodecs(), {sdpneg.PCMA()}, {{PT: 9, Name: "G722", Rate: 8000}}} {
		b, err := sdpneg.Offer(netip.MustParseAddrPort("10.0.0.1:4000"), codecs, 1)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("v=0\r\nm=audio 0 RTP/AVP 0\r\n"))
	f.Fuzz(func(t *testing.T, offer []byte) {
		in, err := parseLeg(offer)
		if err != nil || in.rejected() {
			return
		}
		codecs, err := terminalCodecs(in.sess.Codecs)
		if err != nil {
			return
		}
		o := &ourSDP{addr: pbxAddr, codecs: codecs, dir: sdpneg.Mirror(in.dir()), ptime: in.sess.PTime, layout: in.layout, audio: in.audio, sessID: 1, version: 1}
		raw, err := o.marshal()
		if err != nil {
			return // pion refuses what it cannot render (an odd m= line of the offer)
		}
		back, err := sdpneg.Parse(raw)
		if err != nil {
			t.Fatalf("the PBX's answer does not parse: %v\n%s", err, raw)
		}
		if back.Addr != pbxAddr || len(back.Codecs) == 0 || (idOf(back.Codecs[0]) != codecPCMU && idOf(back.Codecs[0]) != codecPCMA) {
			t.Fatalf("answer %+v to\n%s", back, offer)
		}
	})
}
