package pcapio

import "bytes"

// SIPMessages returns the packets whose payload starts like a SIP message:
// after any CRLF keep-alive bytes, a first line that begins with "SIP/2.0 "
// (a response) or ends with " SIP/2.0" (a request). It does not parse SIP;
// hand the payloads to sipgo's parser.
func SIPMessages(pkts []Packet) []Packet {
	var out []Packet
	for _, p := range pkts {
		if looksLikeSIP(p.Payload) {
			out = append(out, p)
		}
	}
	return out
}

// looksLikeSIP checks the first line only (RFC 3261 §7.1, §7.2); the version
// is compared case-insensitively.
func looksLikeSIP(b []byte) bool {
	b = bytes.TrimLeft(b, "\r\n")
	line, _, _ := bytes.Cut(b, []byte("\n"))
	line = bytes.TrimSuffix(line, []byte("\r"))
	const version = "SIP/2.0"
	if len(line) > len(version) && bytes.EqualFold(line[:len(version)+1], []byte(version+" ")) {
		return true
	}
	// Request-Line: Method SP Request-URI SP SIP-Version
	sp := bytes.IndexByte(line, ' ')
	return sp > 0 && len(line) > sp+1+len(version) &&
		bytes.EqualFold(line[len(line)-len(version)-1:], []byte(" "+version))
}
