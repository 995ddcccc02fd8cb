package carrier

import (
	"net"
	"sync"
)

// switchConn is the carrier's UDP socket with an off switch: while silent
// it drops every datagram read or written (GoSilent).
type switchConn struct {
	net.PacketConn

	mu      sync.Mutex
	silent  bool
	dropped int
}

func (s *switchConn) setSilent(on bool) {
	s.mu.Lock()
	s.silent = on
	s.mu.Unlock()
}

func (s *switchConn) droppedCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dropped
}

// drop reports whether the switch is off, counting the datagram.
func (s *switchConn) drop() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.silent {
		s.dropped++
	}
	return s.silent
}

// ReadFrom returns the next datagram received while not silent.
func (s *switchConn) ReadFrom(b []byte) (int, net.Addr, error) {
	for {
		n, addr, err := s.PacketConn.ReadFrom(b)
		if err != nil || !s.drop() {
			return n, addr, err
		}
	}
}

// WriteTo sends unless silent (then it pretends to).
func (s *switchConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	if s.drop() {
		return len(b), nil
	}
	return s.PacketConn.WriteTo(b, addr)
}
