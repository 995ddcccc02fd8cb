package registrar

import (
	"net/netip"
	"testing"
)

func TestTarget(t *testing.T) {
	tests := []struct {
		name      string
		contact   string
		received  string
		transport string
		want      string
	}{
		{"no source known", "sip:1000@10.0.0.5:5062", "", "udp", "sip:1000@10.0.0.5:5062"},
		{"same address", "sip:1000@10.0.0.5:5062", "10.0.0.5:5062", "udp", "sip:1000@10.0.0.5:5062"},
		{"same address default port", "sip:1000@10.0.0.5", "10.0.0.5:5060", "udp", "sip:1000@10.0.0.5"},
		{"NAT udp", "sip:1000@192.168.1.20:5060;line=abc", "203.0.113.9:61000", "udp", "sip:1000@203.0.113.9:61000;line=abc"},
		{"NAT tcp keeps transport", "sip:1000@192.168.1.20:5060;transport=tcp", "203.0.113.9:40123", "tcp", "sip:1000@203.0.113.9:40123;transport=tcp"},
		{"registered over tcp, contact says nothing", "sip:1000@192.168.1.20", "203.0.113.9:40123", "tcp", "sip:1000@203.0.113.9:40123;transport=tcp"},
		{"registered over udp, contact says tcp", "sip:1000@192.168.1.20;transport=tcp", "203.0.113.9:5060", "udp", "sip:1000@203.0.113.9:5060"},
		{"maddr dropped", "sip:1000@192.168.1.20;maddr=239.1.1.1", "203.0.113.9:5060", "udp", "sip:1000@203.0.113.9:5060"},
		{"hostname contact", "sip:1000@phone.example.com", "203.0.113.9:5060", "udp", "sip:1000@203.0.113.9:5060"},
		{"ipv6", "sip:1000@[2001:db8::5]:5062", "[2001:db8::9]:5062", "udp", "sip:1000@[2001:db8::9]:5062"},
		{"ipv6 same", "sip:1000@[2001:db8::5]:5062", "[2001:db8::5]:5062", "udp", "sip:1000@[2001:db8::5]:5062"},
		{"unparsable contact kept", "not a uri", "203.0.113.9:5060", "udp", "not a uri"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := Binding{Contact: tc.contact, Transport: tc.transport}
			if tc.received != "" {
				b.Received = netip.MustParseAddrPort(tc.received)
			}
			if got := b.Target(); got != tc.want {
				t.Fatalf("Target = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestCanonicalUser(t *testing.T) {
	tests := []struct{ in, want string }{
		{"1000", "1000"},
		{"%31000", "1000"},
		{"null-%00-null", "null-%00-null"},
		{"a%2fb", "a/b"},
		{"sp ace", "sp%20ace"},
		{"100%", "100%25"},
		{"%zz", "%25zz"},
		{"+1%2B2", "+1+2"},
	}
	for _, tc := range tests {
		if got := CanonicalUser(tc.in); got != tc.want {
			t.Errorf("CanonicalUser(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if again := CanonicalUser(CanonicalUser(tc.in)); again != tc.want {
			t.Errorf("CanonicalUser not idempotent on %q: %q", tc.in, again)
		}
	}
}
