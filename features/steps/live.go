package steps

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"

	"pbxlab/pbx/config"
)

// Live drives a PBX that is already running (pbxlab demo, pbxlab conform).
// Scenario numbers (1001, 1002, ...) are mapped to free numbers of the
// pool, so scenarios running at the same time never share a subscriber.
// Scenarios tagged @in-process are skipped. Use a *Live; it is safe for
// concurrent scenarios.
type Live struct {
	// Addr is the PBX's SIP address, host:port with an IP literal.
	Addr string
	// Transport is "udp" (default) or "tcp".
	Transport string
	// Domain is the SIP domain of the subscribers; default Addr's host.
	Domain string
	// Numbers are the subscribers scenarios may use, e.g. 1050-1099. They
	// must exist on the PBX and should not be registered by anyone else.
	Numbers []string
	// Password returns the digest password of a number.
	Password func(number string) string
	// UnassignedNumber is a number that is no subscriber of the PBX;
	// default "00000000".
	UnassignedNumber string

	mu    sync.Mutex
	inUse map[string]bool
}

// Configurable reports false: @in-process scenarios are skipped.
func (t *Live) Configurable() bool { return false }

// Open checks the address; the session takes numbers from the pool on demand.
func (t *Live) Open(_ context.Context, sc ScenarioInfo) (Session, error) {
	ap, err := netip.ParseAddrPort(t.Addr)
	if err != nil {
		return nil, fmt.Errorf("open live target %q: %w", t.Addr, err)
	}
	transport := strings.ToLower(t.Transport)
	if transport == "" {
		transport = "udp"
	}
	if transport != "udp" && transport != "tcp" {
		return nil, fmt.Errorf("open live target %q: %w: transport %q", t.Addr, ErrUsage, t.Transport)
	}
	if t.Password == nil {
		return nil, fmt.Errorf("open live target %q: %w: no Password function", t.Addr, ErrUsage)
	}
	domain := t.Domain
	if domain == "" {
		host, _, _ := net.SplitHostPort(t.Addr)
		domain = host
	}
	ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	return &liveSession{t: t, sc: sc, ep: Endpoint{Addr: ap, Transport: transport, Domain: domain}, taken: map[string]string{}}, nil
}

// take reserves the first free number of the pool.
func (t *Live) take() (string, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.inUse == nil {
		t.inUse = map[string]bool{}
	}
	for _, n := range t.Numbers {
		if !t.inUse[n] {
			t.inUse[n] = true
			return n, true
		}
	}
	return "", false
}

func (t *Live) release(numbers ...string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, n := range numbers {
		delete(t.inUse, n)
	}
}

type liveSession struct {
	t  *Live
	sc ScenarioInfo
	ep Endpoint

	mu     sync.Mutex
	taken  map[string]string // scenario name -> pool number
	closed bool
}

func (s *liveSession) Configure(func(*config.Config)) error {
	return fmt.Errorf("configure %s: %w", s.t.Addr, ErrNotConfigurable)
}

func (s *liveSession) Start(context.Context) (Endpoint, error) { return s.ep, nil }

func (s *liveSession) Subscriber(name string) (Subscriber, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return Subscriber{}, fmt.Errorf("subscriber %s: session closed", name)
	}
	n, ok := s.taken[name]
	if !ok {
		if n, ok = s.t.take(); !ok {
			return Subscriber{}, fmt.Errorf("subscriber %s: %w: all %d pool numbers are in use", name, ErrNoSubscriber, len(s.t.Numbers))
		}
		s.taken[name] = n
	}
	return Subscriber{Number: n, Password: s.t.Password(n)}, nil
}

func (s *liveSession) Unassigned() string {
	if s.t.UnassignedNumber != "" {
		return s.t.UnassignedNumber
	}
	return "00000000"
}

func (s *liveSession) Artifacts() []string { return nil }

func (s *liveSession) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	nums := make([]string, 0, len(s.taken))
	for _, n := range s.taken {
		nums = append(nums, n)
	}
	s.t.release(nums...)
	return nil
}
