// Package testdns is a DNS server for tests (github.com/miekg/dns on
// loopback UDP, port :0): it answers from records given in zone-file syntax,
// NXDOMAIN for a name it has nothing for, and can be told to stay silent
// (a timeout) or to fail (SERVFAIL) for a name.
package testdns

import (
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/miekg/dns"
)

// Server is a running test DNS server.
type Server struct {
	// Addr is where it listens (127.0.0.1:port).
	Addr string

	srv *dns.Server

	mu      sync.Mutex
	rrs     []dns.RR
	silent  map[string]bool
	fail    map[string]bool
	queries map[string]int
}

// Start starts a server answering with records (zone-file lines such as
// "_sip._udp.example.test. 60 IN SRV 10 60 5060 a.example.test."); it
// stops when the test ends.
func Start(t testing.TB, records ...string) *Server {
	t.Helper()
	s, err := New(records...)
	if err != nil {
		t.Fatalf("testdns: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// New starts a server answering with records; Close stops it (for callers
// without a testing.TB, such as the BDD steps).
func New(records ...string) (*Server, error) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("testdns: %w", err)
	}
	s := &Server{Addr: pc.LocalAddr().String(), silent: map[string]bool{}, fail: map[string]bool{}, queries: map[string]int{}}
	if err := s.AddRecords(records...); err != nil {
		_ = pc.Close()
		return nil, err
	}
	s.srv = &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(s.serve)}
	started := make(chan struct{})
	s.srv.NotifyStartedFunc = func() { close(started) }
	go func() { _ = s.srv.ActivateAndServe() }()
	<-started
	return s, nil
}

// Close stops the server.
func (s *Server) Close() error { return s.srv.Shutdown() }

// Add adds records.
func (s *Server) Add(t testing.TB, records ...string) {
	t.Helper()
	if err := s.AddRecords(records...); err != nil {
		t.Fatal(err)
	}
}

// AddRecords adds records (zone-file lines).
func (s *Server) AddRecords(records ...string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range records {
		rr, err := dns.NewRR(r)
		if err != nil || rr == nil {
			return fmt.Errorf("testdns: record %q: %v", r, err)
		}
		s.rrs = append(s.rrs, rr)
	}
	return nil
}

// Silent makes the server drop every query for name (the client times out).
func (s *Server) Silent(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.silent[key(name)] = true
}

// Fail makes the server answer SERVFAIL for name.
func (s *Server) Fail(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail[key(name)] = true
}

// Queries is how many queries of type qtype ("SRV", "A" ...) for name the
// server got.
func (s *Server) Queries(name, qtype string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.queries[key(name)+" "+strings.ToUpper(qtype)]
}

func key(name string) string { return strings.ToLower(dns.Fqdn(name)) }

// serve answers a query: the records of its name and type, else a CNAME of
// the name, else NOERROR with no answer when the name has other records,
// (or a name below it), else NXDOMAIN.
func (s *Server) serve(w dns.ResponseWriter, req *dns.Msg) {
	if len(req.Question) != 1 {
		return
	}
	q := req.Question[0]
	name := key(q.Name)
	s.mu.Lock()
	s.queries[name+" "+dns.TypeToString[q.Qtype]]++
	silent, fail := s.silent[name], s.fail[name]
	var answer, cname []dns.RR
	exists := false
	for _, rr := range s.rrs {
		h := rr.Header()
		if strings.HasSuffix(key(h.Name), "."+name) {
			exists = true // an empty non-terminal: NOERROR, no answer
		}
		if key(h.Name) != name {
			continue
		}
		exists = true
		switch h.Rrtype {
		case q.Qtype:
			answer = append(answer, dns.Copy(rr))
		case dns.TypeCNAME:
			cname = append(cname, dns.Copy(rr))
		}
	}
	s.mu.Unlock()
	if silent {
		return
	}
	m := new(dns.Msg)
	m.SetReply(req)
	m.Authoritative = true
	switch {
	case fail:
		m.Rcode = dns.RcodeServerFailure
	case len(answer) > 0:
		m.Answer = answer
	case len(cname) > 0:
		m.Answer = cname
	case !exists:
		m.Rcode = dns.RcodeNameError
	}
	_ = w.WriteMsg(m)
}
