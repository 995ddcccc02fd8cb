//go:build !linux

package rawudp

import (
	"errors"
	"net"
)

// newConn has no raw path off Linux: Wrap returns the socket as it is.
func newConn(*net.UDPConn) (net.PacketConn, error) {
	return nil, errors.New("rawudp: Linux only")
}
