//go:build linux

package media

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"
)

// reactor serves the RTP sockets of many endpoints from a few goroutines
// (one per CPU), each with an epoll set of its own: a level-triggered
// readiness event gives one non-blocking recvfrom, the packet is handled
// and relayed with one sendto, and the worker moves on. Compared with a
// goroutine per socket blocked in ReadFrom, this saves per packet the
// goroutine wake-up through Go's netpoller and the read that finds the
// socket empty before the goroutine parks again. The sockets stay owned by
// their net.UDPConn (which closes them); the reactor only uses their file
// descriptors while the endpoint holds them open (Endpoint.rawMu).
type reactor struct {
	eps   []int      // epoll descriptors, one per worker
	files []*os.File // the same, in Go's netpoller: a worker parks there
	slots []atomic.Pointer[Endpoint]
	wg    sync.WaitGroup

	mu   sync.Mutex
	free []int32
	next int32
}

// newReactor starts workers goroutines for up to slots endpoints. Each
// worker's epoll descriptor is itself watched by Go's netpoller: the worker
// parks there (no OS thread blocked in epoll_wait, no scheduler churn) and
// wakes to drain every ready socket at once.
func newReactor(workers, slots int) (*reactor, error) {
	r := &reactor{slots: make([]atomic.Pointer[Endpoint], slots)}
	for range workers {
		ep, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
		if err != nil {
			r.closeFiles()
			return nil, fmt.Errorf("new rtp reactor: %w", err)
		}
		if err := syscall.SetNonblock(ep, true); err != nil {
			_ = syscall.Close(ep)
			r.closeFiles()
			return nil, fmt.Errorf("new rtp reactor: %w", err)
		}
		r.eps = append(r.eps, ep)
		r.files = append(r.files, os.NewFile(uintptr(ep), "rtp-epoll"))
	}
	for i, f := range r.files {
		rc, err := f.SyscallConn()
		if err != nil {
			r.closeFiles()
			return nil, fmt.Errorf("new rtp reactor: %w", err)
		}
		ep := r.eps[i]
		r.wg.Go(func() { r.work(ep, rc) })
	}
	return r, nil
}

func (r *reactor) closeFiles() {
	for _, f := range r.files {
		_ = f.Close()
	}
}

// close stops the workers (every endpoint must be removed first).
func (r *reactor) close() {
	r.closeFiles()
	r.wg.Wait()
}

// add serves e's RTP socket from now on; false when it cannot (not a
// kernel UDP socket, or every slot is taken): e keeps its goroutine.
func (r *reactor) add(e *Endpoint) bool {
	uc, ok := e.pair.RTP.(*net.UDPConn)
	if !ok {
		return false
	}
	rc, err := uc.SyscallConn()
	if err != nil {
		return false
	}
	fd := -1
	if err := rc.Control(func(f uintptr) { fd = int(f) }); err != nil || fd < 0 {
		return false
	}
	r.mu.Lock()
	var slot int32
	switch {
	case len(r.free) > 0:
		slot = r.free[len(r.free)-1]
		r.free = r.free[:len(r.free)-1]
	case int(r.next) < len(r.slots):
		slot = r.next
		r.next++
	default:
		r.mu.Unlock()
		return false
	}
	r.mu.Unlock()
	e.fd, e.slot = fd, slot
	r.slots[slot].Store(e)
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: slot}
	if err := syscall.EpollCtl(r.eps[int(slot)%len(r.eps)], syscall.EPOLL_CTL_ADD, fd, &ev); err != nil {
		r.release(slot)
		e.fd = -1
		return false
	}
	return true
}

// remove stops serving e (its rawMu held for writing: no worker uses the
// descriptor any more).
func (r *reactor) remove(e *Endpoint) {
	_ = syscall.EpollCtl(r.eps[int(e.slot)%len(r.eps)], syscall.EPOLL_CTL_DEL, e.fd, nil)
	r.release(e.slot)
	e.fd = -1
}

func (r *reactor) release(slot int32) {
	r.slots[slot].Store(nil)
	r.mu.Lock()
	r.free = append(r.free, slot)
	r.mu.Unlock()
}

// work is one worker: whenever its epoll set has ready sockets (Go's
// netpoller says so), read one packet from each and handle it, until the
// set is empty again.
func (r *reactor) work(ep int, rc syscall.RawConn) {
	events := make([]syscall.EpollEvent, 128)
	buf := make([]byte, maxDatagram)
	_ = rc.Read(func(uintptr) bool {
		for {
			n, _, errno := syscall.RawSyscall6(syscall.SYS_EPOLL_WAIT, uintptr(ep), uintptr(unsafe.Pointer(&events[0])), uintptr(len(events)), 0, 0, 0)
			if errno == syscall.EINTR {
				continue
			}
			if errno != 0 || n == 0 {
				return false // park until the set is readable (or closed)
			}
			for _, ev := range events[:n] {
				r.serve(ev.Fd, buf)
			}
			// under load the set never drains and this loop never parks:
			// let the timers (the players' pacer) and other goroutines of
			// this P run between batches
			runtime.Gosched()
		}
	})
}

// serve reads and handles one packet of the endpoint in slot.
func (r *reactor) serve(slot int32, buf []byte) {
	e := r.slots[slot].Load()
	if e == nil {
		return
	}
	// the descriptor is used under the endpoint's read lock only, so
	// relaying (which takes the far endpoint's) never nests them
	k, err := -1, error(nil)
	var from netip.AddrPort
	e.rawMu.RLock()
	if e.fd >= 0 {
		k, from, err = recvFrom(e.fd, buf)
	}
	e.rawMu.RUnlock()
	if k >= 0 && err == nil {
		e.handleRTP(&e.rx, buf[:k], from)
	}
}

// recvFrom is a non-blocking recvfrom(2) that does not allocate.
func recvFrom(fd int, b []byte) (int, netip.AddrPort, error) {
	var rsa syscall.RawSockaddrAny
	l := uint32(syscall.SizeofSockaddrAny)
	n, _, errno := syscall.RawSyscall6(syscall.SYS_RECVFROM, uintptr(fd), uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)),
		syscall.MSG_DONTWAIT, uintptr(unsafe.Pointer(&rsa)), uintptr(unsafe.Pointer(&l)))
	if errno != 0 {
		return 0, netip.AddrPort{}, errno
	}
	switch rsa.Addr.Family {
	case syscall.AF_INET:
		sa := (*syscall.RawSockaddrInet4)(unsafe.Pointer(&rsa))
		return int(n), netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), portOf(sa.Port)), nil
	case syscall.AF_INET6:
		sa := (*syscall.RawSockaddrInet6)(unsafe.Pointer(&rsa))
		return int(n), netip.AddrPortFrom(netip.AddrFrom16(sa.Addr).Unmap(), portOf(sa.Port)), nil
	}
	return int(n), netip.AddrPort{}, nil
}

// portOf reads a port in network byte order as the kernel stored it.
func portOf(p uint16) uint16 {
	b := (*[2]byte)(unsafe.Pointer(&p))
	return binary.BigEndian.Uint16(b[:])
}

// rawAddr is a destination as sendto(2) takes it.
type rawAddr struct {
	sa4 syscall.RawSockaddrInet4
	sa6 syscall.RawSockaddrInet6
	v6  bool
}

func newRawAddr(ap netip.AddrPort) rawAddr {
	var r rawAddr
	var port [2]byte
	binary.BigEndian.PutUint16(port[:], ap.Port())
	if a := ap.Addr(); a.Is4() {
		r.sa4.Family = syscall.AF_INET
		r.sa4.Port = *(*uint16)(unsafe.Pointer(&port[0]))
		r.sa4.Addr = a.As4()
	} else {
		r.v6 = true
		r.sa6.Family = syscall.AF_INET6
		r.sa6.Port = *(*uint16)(unsafe.Pointer(&port[0]))
		r.sa6.Addr = a.As16()
	}
	return r
}

// sendTo is sendto(2) without allocation (non-blocking: a full socket
// buffer drops the packet, as UDP would).
func sendTo(fd int, b []byte, d *dest) error {
	p, l := unsafe.Pointer(&d.raw.sa4), uintptr(syscall.SizeofSockaddrInet4)
	if d.raw.v6 {
		p, l = unsafe.Pointer(&d.raw.sa6), uintptr(syscall.SizeofSockaddrInet6)
	}
	_, _, errno := syscall.RawSyscall6(syscall.SYS_SENDTO, uintptr(fd), uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)),
		syscall.MSG_DONTWAIT, uintptr(p), l)
	if errno != 0 {
		return errno
	}
	return nil
}
