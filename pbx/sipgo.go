package pbx

import "github.com/emiago/sipgo/sip"

// sipgo refuses to write any UDP message larger than UDPMTUSize-200 bytes
// (1300). RFC 3261 §18.1.1 asks a client to move a large REQUEST to a
// congestion-controlled transport, but a response must go back over the
// transport the request came on (§18.2.2): a 407 to a long INVITE (RFC 4475
// §3.1.1.7 longreq) would otherwise never be sent. The PBX lets IP
// fragmentation carry such messages, as other SIP servers do. This is set
// once, at package initialisation, before any goroutine can read it.
func init() {
	if sip.UDPMTUSize < 65535 {
		sip.UDPMTUSize = 65535
	}
}
