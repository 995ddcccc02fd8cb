package media

import "encoding/binary"

// maxDatagram is the read buffer of an endpoint. A datagram that fills it
// is taken as oversized (a UDP read truncates silently) and dropped: audio
// packets of the codecs the PBX relays are a few hundred bytes at most.
const maxDatagram = 2048

// rtpHeader is what the relay reads of an RTP packet (RFC 3550 §5.1).
type rtpHeader struct {
	pt     uint8
	marker bool
	seq    uint16
	ts     uint32
	ssrc   uint32
	off    int // first payload byte
	end    int // end of the payload (padding excluded)
}

// parseRTP checks that b is a complete RTP version 2 packet (CSRC list,
// header extension and padding inside the datagram; a payload type that is
// not one of RTCP's, RFC 5761 §4) and returns its header. It never reads
// outside b and never allocates.
func parseRTP(b []byte) (rtpHeader, bool) {
	var h rtpHeader
	if len(b) < 12 || len(b) >= maxDatagram || b[0]>>6 != 2 {
		return h, false
	}
	h.pt = b[1] & 0x7f
	if h.pt >= 64 && h.pt <= 95 { // RTCP packet types 192-223 (RFC 5761 §4)
		return h, false
	}
	h.marker = b[1]&0x80 != 0
	h.seq = binary.BigEndian.Uint16(b[2:])
	h.ts = binary.BigEndian.Uint32(b[4:])
	h.ssrc = binary.BigEndian.Uint32(b[8:])
	off := 12 + 4*int(b[0]&0x0f)
	if b[0]&0x10 != 0 { // header extension (RFC 3550 §5.3.1)
		if off+4 > len(b) {
			return h, false
		}
		off += 4 + 4*int(binary.BigEndian.Uint16(b[off+2:]))
	}
	end := len(b)
	if b[0]&0x20 != 0 { // padding: the last octet counts it, itself included
		pad := int(b[len(b)-1])
		if pad == 0 {
			return h, false
		}
		end -= pad
	}
	if off > end {
		return h, false
	}
	h.off, h.end = off, end
	return h, true
}

// isRTCP checks that b starts with a valid RTCP packet (RFC 3550 §6.4.1,
// A.2): version 2, a packet type of RTCP (SR, RR, SDES, BYE, APP or the
// feedback types 205/206 of RFC 4585), and a length inside the datagram.
// The rest of a compound packet is passed on as it is.
func isRTCP(b []byte) bool {
	if len(b) < 8 || len(b) >= maxDatagram || b[0]>>6 != 2 {
		return false
	}
	if pt := b[1]; pt < 200 || pt > 206 {
		return false
	}
	n := 4 * (int(binary.BigEndian.Uint16(b[2:])) + 1)
	return n <= len(b)
}

// setPT rewrites the payload type of an RTP packet, keeping the marker bit.
func setPT(b []byte, pt uint8) { b[1] = b[1]&0x80 | pt&0x7f }
