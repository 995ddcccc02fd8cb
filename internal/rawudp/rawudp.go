// Package rawudp reads and writes UDP datagrams with system calls the Go
// scheduler is not told about.
//
// A read or write on a *net.UDPConn goes through syscall.Syscall, which
// calls the runtime's entersyscall and exitsyscall around the system call.
// When every processor of the process was idle, entersyscall also wakes the
// runtime's monitor thread (sysmon) out of its deep sleep, and sysmon then
// polls every 20 µs, each poll a context switch, until the process is idle
// again. A SIP server or generator at a moderate rate goes idle between
// almost every pair of datagrams, so it pays that wake-up on almost every
// datagram: on this project's 2-core VM an event-loop UAC against
// sipp -sn uas spent 0.435 ms of CPU per call (INVITE, 180, 200, ACK, BYE,
// 200) with the standard reads and writes and 0.152 ms with raw ones, at
// 250 calls/s on one processor (SIPp: 0.2 ms).
//
// A socket of the net package is non-blocking and registered with the
// runtime's poller, so a read or write never blocks in the kernel: when
// nothing is to be read (or the send buffer is full) the system call
// returns EAGAIN at once and the goroutine waits in the poller, as the net
// package does. Such a system call may therefore run as a raw one
// (syscall.RawSyscall6), the way the runtime's own poller calls epoll.
// Conn does this through the socket's syscall.RawConn, so deadlines,
// Close and the poller behave exactly as on the wrapped *net.UDPConn.
package rawudp

import (
	"net"
)

// Wrap returns a net.PacketConn whose ReadFrom and WriteTo use raw system
// calls (see the package comment), or pc itself where that is not
// possible: pc is not a *net.UDPConn (an in-memory or wrapped socket), or
// the platform is not Linux.
func Wrap(pc net.PacketConn) net.PacketConn {
	uc, ok := pc.(*net.UDPConn)
	if !ok {
		return pc
	}
	c, err := newConn(uc)
	if err != nil {
		return pc
	}
	return c
}

// Listen is net.ListenPacket with the result wrapped: the signature of the
// packet listeners pbx.WithPacketListener and phone.AgentConfig take.
func Listen(network, address string) (net.PacketConn, error) {
	pc, err := net.ListenPacket(network, address)
	if err != nil {
		return nil, err
	}
	return Wrap(pc), nil
}
