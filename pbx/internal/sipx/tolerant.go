package sipx

import (
	"bytes"
	"net"
	"sync/atomic"

	"pbxlab/pbx/internal/sourcelimit"
)

// tolerantConn is the PBX's UDP socket as sipgo reads it. It completes a
// request whose header section ends without the empty line RFC 3261 §7
// requires (some stacks send a body-less request that way; Asterisk's
// accepts it): the missing CRLF is added so that sipgo's parser reads a
// message without a body instead of dropping the datagram silently.
//
// It cannot return an error of its own: sipgo stops serving a UDP socket
// on the first read error (and on an error of a read filter), so anything
// it does not understand is passed on as it came.
//
// Once silent is set (Stack.Quiesce) it keeps reading but drops every
// datagram, so that nothing read as the PBX shuts down reaches sipgo: a
// request handled after sipgo's reader dropped the socket from its pool
// makes sipgo open a socket of its own to answer it.
//
// A datagram from a source its limiter refuses (sip.source_limits) is
// dropped unread as well.
type tolerantConn struct {
	net.PacketConn
	silent *atomic.Bool
	limit  *sourcelimit.Limiter // nil: no limit
}

// ReadFrom reads a datagram and completes its header section if needed.
func (c tolerantConn) ReadFrom(p []byte) (int, net.Addr, error) {
	for {
		n, addr, err := c.PacketConn.ReadFrom(p)
		if err == nil && c.silent != nil && c.silent.Load() {
			continue
		}
		if err == nil && c.limit != nil && !c.limit.Allow(addrPortOf(addr).Addr()) {
			continue
		}
		if n > 0 {
			n = completeHeaders(p, n)
		}
		return n, addr, err
	}
}

// completeHeaders returns the new length of the datagram p[:n] after adding
// the missing end of its header section (in p's spare capacity), or n when
// it has one, is a keepalive, or there is no room.
func completeHeaders(p []byte, n int) int {
	d := p[:n]
	if len(bytes.Trim(d, "\r\n\x00 \t")) == 0 {
		return n // keepalive (RFC 5626 §4.4.1 CRLF)
	}
	if bytes.Contains(d, []byte("\r\n\r\n")) {
		return n
	}
	add := "\r\n\r\n"
	switch {
	case bytes.HasSuffix(d, []byte("\r\n")):
		add = "\r\n"
	case bytes.HasSuffix(d, []byte("\n")) || bytes.HasSuffix(d, []byte("\r")):
		return n // bare LF or CR line ends: sipgo reads CRLF only, leave it
	}
	if n+len(add) > len(p) {
		return n
	}
	return n + copy(p[n:], add)
}
