package config

import (
	"fmt"
	"net/netip"
	"time"
)

// SourceLimits is the "sip.source_limits" block: a flood from one source
// address must not take the PBX from everyone else. Each source IP gets a
// bucket of Burst messages refilled at Rate per second; a source that
// empties it is blocked for BlockFor, and what it sends meanwhile (UDP
// datagrams, TCP connections and reads) is dropped unanswered before it is
// parsed, as Kamailio's pike module does. Trusted peers are never limited.
// A source that has more than AuthFailures credentials refused within
// BlockFor is blocked the same way. Off by default (every bound 0): a phone
// needs a few messages a second, but an office behind one NAT address or a
// carrier needs many more, so the bounds are a per-site choice.
type SourceLimits struct {
	// Rate is the SIP messages per second one source IP may send, sustained
	// (UDP datagrams and TCP reads; a TCP connection counts one). 0 = off.
	// Default 0.
	Rate int `yaml:"rate"`
	// Burst is the bucket: how many messages a source may send at once.
	// 0 = 4 × rate. Default 0.
	Burst int `yaml:"burst"`
	// BlockFor is how long a source that went over the rate is ignored.
	// Default 60s.
	BlockFor time.Duration `yaml:"block_for"`
	// Connections bounds the TCP connections open at once from one source
	// IP (a further one is closed at once, without blocking the source).
	// 0 = no bound. Default 0.
	Connections int `yaml:"connections"`
	// AuthFailures is how many refused credentials (a wrong password or an
	// unknown user in a digest response, as a password guesser or a user
	// scanner sends) one source may have within BlockFor before it is
	// blocked for BlockFor, as fail2ban does. 0 = no bound. Default 0.
	AuthFailures int `yaml:"auth_failures"`
	// Exempt are IPs or CIDR prefixes never limited (a carrier, an office's
	// NAT address), besides trusted_peers. Default none.
	Exempt []string `yaml:"exempt"`
}

func defaultSourceLimits() SourceLimits { return SourceLimits{BlockFor: 60 * time.Second} }

// ExemptPrefixes returns Exempt parsed (Validate has checked them).
func (l SourceLimits) ExemptPrefixes() []netip.Prefix {
	out := make([]netip.Prefix, 0, len(l.Exempt))
	for _, e := range l.Exempt {
		if p, err := ParsePrefix(e); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// maxSourceRate bounds rate and burst: more than a million messages a
// second from one address is no limit at all, and a typo.
const maxSourceRate = 1_000_000

func (v *validator) sourceLimits() {
	l := v.c.SIP.SourceLimits
	const p = "sip.source_limits"
	if l.Rate < 0 || l.Rate > maxSourceRate {
		v.errorf(p+".rate", "must be 0 (off) to %d messages per second, got %d", maxSourceRate, l.Rate)
	}
	if l.Burst < 0 || l.Burst > maxSourceRate {
		v.errorf(p+".burst", "must be 0 (4 × rate) to %d messages, got %d", maxSourceRate, l.Burst)
	}
	if l.BlockFor < time.Second || l.BlockFor > 24*time.Hour {
		v.errorf(p+".block_for", "must be between 1s and 24h, got %s", l.BlockFor)
	}
	if l.Connections < 0 {
		v.errorf(p+".connections", "must be 0 (no bound) or more, got %d", l.Connections)
	}
	if l.AuthFailures < 0 || l.AuthFailures > maxSourceRate {
		v.errorf(p+".auth_failures", "must be 0 (no bound) to %d, got %d", maxSourceRate, l.AuthFailures)
	}
	for i, e := range l.Exempt {
		if _, err := ParsePrefix(e); err != nil {
			v.errorf(fmt.Sprintf("%s.exempt[%d]", p, i), "%v", err)
		}
	}
}
