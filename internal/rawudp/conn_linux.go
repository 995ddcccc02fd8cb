package rawudp

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"sync"
	"syscall"
	"unsafe"
)

// Conn is a *net.UDPConn whose ReadFrom and WriteTo run raw system calls.
// Every other method is the embedded connection's.
type Conn struct {
	*net.UDPConn
	rc    syscall.RawConn
	inet6 bool // an AF_INET6 socket: IPv4 destinations go as v4-mapped addresses
	// zones caches IPv6 zones both ways (uint32 scope -> name, name ->
	// uint32), so a link-local peer costs no interface lookup per datagram
	zones sync.Map
	ops   sync.Pool // *op
}

func newConn(uc *net.UDPConn) (*Conn, error) {
	rc, err := uc.SyscallConn()
	if err != nil {
		return nil, err
	}
	var sa syscall.Sockaddr
	var serr error
	if err := rc.Control(func(fd uintptr) { sa, serr = syscall.Getsockname(int(fd)) }); err != nil {
		return nil, err
	}
	if serr != nil {
		return nil, serr
	}
	c := &Conn{UDPConn: uc, rc: rc, ops: sync.Pool{New: newOp}}
	switch sa.(type) {
	case *syscall.SockaddrInet4:
	case *syscall.SockaddrInet6:
		c.inet6 = true
	default:
		return nil, fmt.Errorf("rawudp: socket of address %T", sa)
	}
	return c, nil
}

// ReadFrom reads one datagram into b, as net.UDPConn.ReadFrom does.
func (c *Conn) ReadFrom(b []byte) (int, net.Addr, error) {
	op := c.ops.Get().(*op)
	defer c.ops.Put(op)
	op.set(b)
	err := c.rc.Read(op.recv)
	n := op.n
	if err == nil {
		err = op.err
	}
	var from *net.UDPAddr
	if err == nil {
		from = c.fromSockaddr(&op.rsa)
	}
	op.clear()
	if err != nil {
		return 0, nil, &net.OpError{Op: "read", Net: c.network(), Source: c.LocalAddr(), Err: err}
	}
	return n, from, nil
}

// WriteTo sends b to addr (a *net.UDPAddr), as net.UDPConn.WriteTo does.
func (c *Conn) WriteTo(b []byte, addr net.Addr) (int, error) {
	ua, ok := addr.(*net.UDPAddr)
	if !ok || ua == nil {
		return 0, &net.OpError{Op: "write", Net: c.network(), Source: c.LocalAddr(), Addr: addr, Err: syscall.EINVAL}
	}
	op := c.ops.Get().(*op)
	defer c.ops.Put(op)
	alen, err := c.sockaddr(ua, &op.rsa)
	if err != nil {
		return 0, &net.OpError{Op: "write", Net: c.network(), Source: c.LocalAddr(), Addr: addr, Err: err}
	}
	op.set(b)
	op.alen = uint32(alen)
	err = c.rc.Write(op.send)
	n := op.n
	if err == nil {
		err = op.err
	}
	op.clear()
	if err != nil {
		return n, &net.OpError{Op: "write", Net: c.network(), Source: c.LocalAddr(), Addr: addr, Err: err}
	}
	return n, nil
}

// op is the state of one ReadFrom or WriteTo: the buffer, the peer's
// address and the result, with the functions RawConn runs bound once, so
// a datagram costs no allocation for them (Conn.ops reuses ops).
type op struct {
	p    unsafe.Pointer // the buffer (empty: a byte of its own)
	len  int
	rsa  syscall.RawSockaddrAny
	alen uint32
	n    int
	err  error

	empty      [1]byte
	recv, send func(fd uintptr) bool
}

func newOp() any {
	o := &op{}
	o.recv, o.send = o.doRecv, o.doSend
	return o
}

func (o *op) set(b []byte) {
	o.p, o.len = unsafe.Pointer(&o.empty[0]), len(b)
	if len(b) > 0 {
		o.p = unsafe.Pointer(&b[0])
	}
}

// clear drops the caller's buffer and the result before the op is reused.
func (o *op) clear() { o.p, o.len, o.n, o.err = nil, 0, 0, nil }

func (o *op) doRecv(fd uintptr) bool {
	for {
		alen := uint32(syscall.SizeofSockaddrAny)
		r, _, e := syscall.RawSyscall6(syscall.SYS_RECVFROM, fd, uintptr(o.p), uintptr(o.len), 0,
			uintptr(unsafe.Pointer(&o.rsa)), uintptr(unsafe.Pointer(&alen)))
		if e != syscall.EINTR {
			return done("recvfrom", r, e, &o.n, &o.err)
		}
	}
}

func (o *op) doSend(fd uintptr) bool {
	for {
		r, _, e := syscall.RawSyscall6(syscall.SYS_SENDTO, fd, uintptr(o.p), uintptr(o.len), 0,
			uintptr(unsafe.Pointer(&o.rsa)), uintptr(o.alen))
		if e != syscall.EINTR {
			return done("sendto", r, e, &o.n, &o.err)
		}
	}
}

func (c *Conn) network() string { return c.LocalAddr().Network() }

// done takes the result of a non-blocking socket system call (EINTR
// retried by the caller) for a RawConn's Read or Write: false on EAGAIN
// (nothing to read, or the send buffer full: wait in the poller), else
// true with the byte count or the error stored.
func done(call string, r uintptr, e syscall.Errno, n *int, err *error) bool {
	switch e {
	case 0:
		*n = int(r)
	case syscall.EAGAIN:
		return false
	default:
		*err = os.NewSyscallError(call, e)
	}
	return true
}

// sockaddr encodes a for the socket's family into rsa and returns its
// length.
func (c *Conn) sockaddr(a *net.UDPAddr, rsa *syscall.RawSockaddrAny) (uintptr, error) {
	if a.Port < 0 || a.Port > 0xffff {
		return 0, syscall.EINVAL
	}
	port := uint16(a.Port>>8) | uint16(a.Port&0xff)<<8 // network byte order
	ip4 := a.IP.To4()
	if !c.inet6 {
		if ip4 == nil {
			if len(a.IP) != 0 {
				return 0, ErrFamily
			}
			ip4 = net.IPv4zero.To4() // as the net package: no IP is the wildcard
		}
		sa := (*syscall.RawSockaddrInet4)(unsafe.Pointer(rsa))
		*sa = syscall.RawSockaddrInet4{Family: syscall.AF_INET, Port: port}
		copy(sa.Addr[:], ip4)
		return syscall.SizeofSockaddrInet4, nil
	}
	sa := (*syscall.RawSockaddrInet6)(unsafe.Pointer(rsa))
	*sa = syscall.RawSockaddrInet6{Family: syscall.AF_INET6, Port: port}
	switch {
	case ip4 != nil:
		sa.Addr[10], sa.Addr[11] = 0xff, 0xff // v4-mapped
		copy(sa.Addr[12:], ip4)
	case len(a.IP) == 0:
		// the wildcard ::
	case len(a.IP) == net.IPv6len:
		copy(sa.Addr[:], a.IP)
		sa.Scope_id = c.zoneIndex(a.Zone)
	default:
		return 0, syscall.EINVAL
	}
	return syscall.SizeofSockaddrInet6, nil
}

// fromSockaddr decodes the source address of a datagram.
func (c *Conn) fromSockaddr(rsa *syscall.RawSockaddrAny) *net.UDPAddr {
	switch rsa.Addr.Family {
	case syscall.AF_INET:
		sa := (*syscall.RawSockaddrInet4)(unsafe.Pointer(rsa))
		// one allocation for the address and its IP (net.IPv4's 16-byte form)
		a := &udpAddr4{}
		a.ip[10], a.ip[11] = 0xff, 0xff
		copy(a.ip[12:], sa.Addr[:])
		a.UDPAddr = net.UDPAddr{IP: a.ip[:], Port: portOf(sa.Port)}
		return &a.UDPAddr
	case syscall.AF_INET6:
		sa := (*syscall.RawSockaddrInet6)(unsafe.Pointer(rsa))
		ip := make(net.IP, net.IPv6len)
		copy(ip, sa.Addr[:])
		return &net.UDPAddr{IP: ip, Port: portOf(sa.Port), Zone: c.zoneName(sa.Scope_id)}
	}
	return nil
}

// udpAddr4 is a source address with the bytes of its IP.
type udpAddr4 struct {
	net.UDPAddr
	ip [net.IPv6len]byte
}

func portOf(p uint16) int { return int(p>>8) | int(p&0xff)<<8 }

// zoneName is the zone of an IPv6 scope: the interface's name, else its
// index, as the net package writes it.
func (c *Conn) zoneName(id uint32) string {
	if id == 0 {
		return ""
	}
	if v, ok := c.zones.Load(id); ok {
		return v.(string)
	}
	name := strconv.FormatUint(uint64(id), 10)
	if ifi, err := net.InterfaceByIndex(int(id)); err == nil {
		name = ifi.Name
	}
	c.zones.Store(id, name)
	return name
}

// zoneIndex is the scope of an IPv6 zone: an interface name or index.
func (c *Conn) zoneIndex(zone string) uint32 {
	if zone == "" {
		return 0
	}
	if v, ok := c.zones.Load(zone); ok {
		return v.(uint32)
	}
	n, _ := strconv.ParseUint(zone, 10, 32)
	if ifi, err := net.InterfaceByName(zone); err == nil {
		n = uint64(ifi.Index)
	}
	c.zones.Store(zone, uint32(n))
	return uint32(n)
}
