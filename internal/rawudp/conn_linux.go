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
	c := &Conn{UDPConn: uc, rc: rc}
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
	var (
		rsa  syscall.RawSockaddrAny
		n    int
		rerr error
	)
	var empty [1]byte
	p := unsafe.Pointer(&empty[0])
	if len(b) > 0 {
		p = unsafe.Pointer(&b[0])
	}
	err := c.rc.Read(func(fd uintptr) bool {
		for {
			alen := uint32(syscall.SizeofSockaddrAny)
			r, _, e := syscall.RawSyscall6(syscall.SYS_RECVFROM, fd, uintptr(p), uintptr(len(b)), 0,
				uintptr(unsafe.Pointer(&rsa)), uintptr(unsafe.Pointer(&alen)))
			if e != syscall.EINTR {
				return done("recvfrom", r, e, &n, &rerr)
			}
		}
	})
	if err == nil {
		err = rerr
	}
	if err != nil {
		return 0, nil, &net.OpError{Op: "read", Net: c.network(), Source: c.LocalAddr(), Err: err}
	}
	return n, c.fromSockaddr(&rsa), nil
}

// WriteTo writes b as one datagram to addr, a *net.UDPAddr, as
// net.UDPConn.WriteTo does.
func (c *Conn) WriteTo(b []byte, addr net.Addr) (int, error) {
	ua, ok := addr.(*net.UDPAddr)
	if !ok || ua == nil {
		return 0, &net.OpError{Op: "write", Net: c.network(), Source: c.LocalAddr(), Addr: addr, Err: syscall.EINVAL}
	}
	sa, alen, err := c.sockaddr(ua)
	if err != nil {
		return 0, &net.OpError{Op: "write", Net: c.network(), Source: c.LocalAddr(), Addr: addr, Err: err}
	}
	var empty [1]byte
	p := unsafe.Pointer(&empty[0])
	if len(b) > 0 {
		p = unsafe.Pointer(&b[0])
	}
	var (
		n    int
		werr error
	)
	err = c.rc.Write(func(fd uintptr) bool {
		for {
			r, _, e := syscall.RawSyscall6(syscall.SYS_SENDTO, fd, uintptr(p), uintptr(len(b)), 0,
				uintptr(sa), uintptr(alen))
			if e != syscall.EINTR {
				return done("sendto", r, e, &n, &werr)
			}
		}
	})
	if err == nil {
		err = werr
	}
	if err != nil {
		return n, &net.OpError{Op: "write", Net: c.network(), Source: c.LocalAddr(), Addr: addr, Err: err}
	}
	return n, nil
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

// sockaddr encodes a for the socket's family, returning a pointer to it
// and its length.
func (c *Conn) sockaddr(a *net.UDPAddr) (unsafe.Pointer, uintptr, error) {
	if a.Port < 0 || a.Port > 0xffff {
		return nil, 0, syscall.EINVAL
	}
	port := uint16(a.Port>>8) | uint16(a.Port&0xff)<<8 // network byte order
	ip4 := a.IP.To4()
	if !c.inet6 {
		if ip4 == nil {
			if len(a.IP) != 0 {
				return nil, 0, ErrFamily
			}
			ip4 = net.IPv4zero.To4() // as the net package: no IP is the wildcard
		}
		sa := &syscall.RawSockaddrInet4{Family: syscall.AF_INET, Port: port}
		copy(sa.Addr[:], ip4)
		return unsafe.Pointer(sa), syscall.SizeofSockaddrInet4, nil
	}
	sa := &syscall.RawSockaddrInet6{Family: syscall.AF_INET6, Port: port}
	switch {
	case ip4 != nil:
		copy(sa.Addr[:], net.IPv4(ip4[0], ip4[1], ip4[2], ip4[3]).To16()) // v4-mapped
	case len(a.IP) == 0:
		// the wildcard ::
	case len(a.IP) == net.IPv6len:
		copy(sa.Addr[:], a.IP)
		sa.Scope_id = c.zoneIndex(a.Zone)
	default:
		return nil, 0, syscall.EINVAL
	}
	return unsafe.Pointer(sa), syscall.SizeofSockaddrInet6, nil
}

// fromSockaddr decodes the source address of a datagram.
func (c *Conn) fromSockaddr(rsa *syscall.RawSockaddrAny) *net.UDPAddr {
	switch rsa.Addr.Family {
	case syscall.AF_INET:
		sa := (*syscall.RawSockaddrInet4)(unsafe.Pointer(rsa))
		return &net.UDPAddr{IP: net.IPv4(sa.Addr[0], sa.Addr[1], sa.Addr[2], sa.Addr[3]), Port: portOf(sa.Port)}
	case syscall.AF_INET6:
		sa := (*syscall.RawSockaddrInet6)(unsafe.Pointer(rsa))
		ip := make(net.IP, net.IPv6len)
		copy(ip, sa.Addr[:])
		return &net.UDPAddr{IP: ip, Port: portOf(sa.Port), Zone: c.zoneName(sa.Scope_id)}
	}
	return nil
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
