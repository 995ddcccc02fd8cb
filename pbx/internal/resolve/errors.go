package resolve

import "errors"

// Sentinel errors of a lookup; the error returned wraps one of them with
// the name and the cause ("resolve sip.example.com: SRV _sip._udp...: ...").
var (
	// ErrNotFound: the name does not exist (NXDOMAIN), or it has no record
	// that locates a SIP server (no NAPTR, SRV, A or AAAA), or its only SRV
	// target is "." (service decidedly not available, RFC 2782).
	ErrNotFound = errors.New("no such SIP server in DNS")
	// ErrNoAddress: SRV records name targets, but none of them has an A or
	// AAAA record (the answer points nowhere).
	ErrNoAddress = errors.New("SRV targets have no address")
	// ErrLoop: a CNAME chain or NAPTR replacements come back to a name
	// already followed, or are longer than MaxChain.
	ErrLoop = errors.New("DNS answers loop")
	// ErrTimeout: no DNS server answered in time.
	ErrTimeout = errors.New("DNS timeout")
	// ErrServer: the DNS server answered with an error (SERVFAIL, REFUSED
	// ...) or with a message that cannot be used.
	ErrServer = errors.New("DNS server error")
	// ErrBadHost: the host is neither an IP address nor a host name, or the
	// transport is not udp or tcp.
	ErrBadHost = errors.New("bad host")
)
