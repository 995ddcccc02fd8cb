package scenario

import (
	"fmt"
	"math"
	"net/netip"
	"strings"
	"time"

	"pbxlab/sim/carrier"
)

// DefaultCarrierListen is where a carrier listens unless told: loopback,
// a free port (a PBX configured by the caller learns it from sim.StartCarriers).
const DefaultCarrierListen = "127.0.0.1:0"

// ViaTarget sends a carrier's inbound calls to the run's target by address
// (a trunk identified by source address).
const ViaTarget = "target"

// Carrier is a simulated SIP trunk provider the run starts (package
// sim/carrier): the population's calls go out to it through the PBX, and
// it calls the PBX's DIDs.
type Carrier struct {
	// Name identifies the carrier; required, unique.
	Name string `yaml:"name"`
	// Listen is the carrier's address, IP:port; default 127.0.0.1:0.
	Listen string `yaml:"listen"`
	// Transport is what it listens and calls on: udp (default) or tcp
	// (the PBX's trunk to it must say the same).
	Transport string `yaml:"transport"`
	// Domain is the carrier's SIP domain (From of its calls); default its IP.
	Domain string `yaml:"domain"`
	// Accounts are the trunk registrations it accepts (digest, MD5).
	Accounts []CarrierAccount `yaml:"accounts"`
	// Answer is how it terminates the calls the PBX sends (default answer
	// at once); Numbers override it per called-number prefix.
	Answer  CarrierBehaviour            `yaml:"answer"`
	Numbers map[string]CarrierBehaviour `yaml:"numbers"`
	// Outbound is the population's calls out through this carrier.
	Outbound CarrierOutbound `yaml:"outbound"`
	// Inbound is the carrier's calls to the PBX's DIDs.
	Inbound CarrierInbound `yaml:"inbound"`
}

// CarrierAccount is one trunk account.
type CarrierAccount struct {
	Username string `yaml:"username"`
	Password string `yaml:"password"`
}

// CarrierBehaviour is how a carrier terminates calls (carrier.Behaviour).
type CarrierBehaviour struct {
	// Action is answer (default), busy, reject, no_answer, silent or garbage.
	Action string `yaml:"action"`
	// Delay is how long answer rings first; default 0.
	Delay time.Duration `yaml:"delay"`
	// Code is reject's status, 300..699; default 503.
	Code int `yaml:"code"`
	// RetryAfter adds Retry-After to a reject; default none.
	RetryAfter time.Duration `yaml:"retry_after"`
}

// CarrierOutbound is the share of the population's calls dialled out to
// the carrier's numbers.
type CarrierOutbound struct {
	// Percent of the calls placed (calls.rate) go out through this
	// carrier; 0..100, all carriers together at most 100. Default 0.
	Percent int `yaml:"percent"`
	// Prefix is what the phones dial before a number to reach the trunk
	// (the PBX's route, e.g. "9"); default none.
	Prefix string `yaml:"prefix"`
	// Numbers are the carrier's numbers the phones call; required with Percent.
	Numbers Remote `yaml:"numbers"`
}

// CarrierInbound is the carrier's own call load to the PBX.
type CarrierInbound struct {
	// Rate is calls per second during calls.duration; default 0 (none).
	Rate float64 `yaml:"rate"`
	// DIDs are the numbers called; required with Rate. A DID equal to a
	// population number is expected to behave as that phone does, any
	// other to be answered; the audio check expects the DID's identity.
	DIDs Remote `yaml:"dids"`
	// From are the calling numbers; default 0..09 (one number "0").
	From Remote `yaml:"from"`
	// Via is "target" (default: to the run's target by address, Request-URI
	// sip:DID@target) or an account's username (to the Contact that
	// account registered, DID in To).
	Via string `yaml:"via"`
}

// Behaviour converts to the carrier package's behaviour (validated input).
func (b CarrierBehaviour) Behaviour() carrier.Behaviour {
	a, _ := carrier.ParseAction(b.Action)
	if b.Action == "" {
		a = carrier.Answer
	}
	return carrier.Behaviour{Action: a, Delay: b.Delay, Code: b.Code, RetryAfter: b.RetryAfter}
}

func (s *Scenario) carrierDefaults() {
	for i := range s.Carriers {
		c := &s.Carriers[i]
		if c.Listen == "" {
			c.Listen = DefaultCarrierListen
		}
		if c.Transport == "" {
			c.Transport = "udp"
		}
		if c.Inbound.Via == "" {
			c.Inbound.Via = ViaTarget
		}
		if c.Inbound.From.First == "" && c.Inbound.From.Count == 0 {
			c.Inbound.From = Remote{First: "0", Count: 1}
		}
	}
}

// validateCarriers checks the carriers section.
func (s *Scenario) validateCarriers(add func(field, format string, args ...any)) {
	names := map[string]int{}
	percent := 0
	for i, c := range s.Carriers {
		path := fmt.Sprintf("carriers[%d]", i)
		if c.Name == "" {
			add(path+".name", "is required")
		} else if j, dup := names[c.Name]; dup {
			add(path+".name", "duplicate carrier %q (also carriers[%d])", c.Name, j)
		} else {
			names[c.Name] = i
		}
		if _, err := netip.ParseAddrPort(c.Listen); err != nil {
			add(path+".listen", "must be IP:port, got %q", c.Listen)
		}
		if c.Transport != "udp" && c.Transport != "tcp" {
			add(path+".transport", "must be udp or tcp, got %q", c.Transport)
		}
		accounts := map[string]bool{}
		for j, a := range c.Accounts {
			switch {
			case a.Username == "":
				add(fmt.Sprintf("%s.accounts[%d].username", path, j), "is required")
			case accounts[a.Username]:
				add(fmt.Sprintf("%s.accounts[%d].username", path, j), "duplicate account %q", a.Username)
			}
			accounts[a.Username] = true
		}
		validateBehaviour(add, path+".answer", c.Answer)
		for prefix, b := range c.Numbers {
			if checkDigits(prefix) != "" {
				add(path+".numbers", "key %q must be decimal digits", prefix)
			}
			validateBehaviour(add, path+".numbers."+prefix, b)
		}
		o := c.Outbound
		if o.Percent < 0 || o.Percent > 100 {
			add(path+".outbound.percent", "must be a percentage 0..100, got %d", o.Percent)
		}
		percent += max(o.Percent, 0)
		if o.Prefix != "" && checkDigits(o.Prefix) != "" {
			add(path+".outbound.prefix", "must be digits, * or #, got %q", o.Prefix)
		}
		if o.Percent > 0 || o.Numbers != (Remote{}) {
			validateRange(add, path+".outbound.numbers", o.Numbers)
		}
		in := c.Inbound
		switch {
		case math.IsNaN(in.Rate) || in.Rate < 0:
			add(path+".inbound.rate", "must be 0 or more calls per second, got %v", in.Rate)
		case in.Rate > MaxRate:
			add(path+".inbound.rate", "must be at most %v calls per second, got %v", MaxRate, in.Rate)
		}
		if in.Rate > 0 || in.DIDs != (Remote{}) {
			validateRange(add, path+".inbound.dids", in.DIDs)
		}
		validateRange(add, path+".inbound.from", in.From)
		if in.Via != ViaTarget && !accounts[in.Via] {
			add(path+".inbound.via", "must be %q or one of the carrier's accounts, got %q", ViaTarget, in.Via)
		}
		if in.Rate > 0 {
			if s.Calls.Hold <= 0 {
				add("calls.hold", "must be positive when carriers call in (%s.inbound.rate > 0), got %s", path, s.Calls.Hold)
			}
			if s.Calls.Duration <= 0 {
				add("calls.duration", "must be positive when carriers call in (%s.inbound.rate > 0), got %s", path, s.Calls.Duration)
			}
		}
	}
	if percent > 100 {
		add("carriers", "outbound percentages must sum to at most 100, got %d", percent)
	}
}

func validateBehaviour(add func(field, format string, args ...any), path string, b CarrierBehaviour) {
	if b.Action != "" {
		if _, err := carrier.ParseAction(b.Action); err != nil {
			add(path+".action", "must be one of answer, busy, reject, no_answer, silent, garbage, got %q", b.Action)
		}
	}
	if b.Code != 0 && (b.Code < 300 || b.Code > 699) {
		add(path+".code", "must be a final failure status 300..699, got %d", b.Code)
	}
	if b.Delay < 0 {
		add(path+".delay", "must not be negative, got %s", b.Delay)
	}
	if b.RetryAfter < 0 {
		add(path+".retry_after", "must not be negative, got %s", b.RetryAfter)
	}
}

func validateRange(add func(field, format string, args ...any), path string, r Remote) {
	if r.Count < 1 || r.Count > MaxPopulation {
		add(path+".count", "must be 1..%d, got %d", MaxPopulation, r.Count)
	}
	if err := checkNumber(r.First); err != "" {
		add(path+".first", "%s", err)
	}
}

// checkDigits accepts dialled digits: 0-9, * and #.
func checkDigits(s string) string {
	if s == "" || strings.Trim(s, "0123456789*#") != "" {
		return "not digits"
	}
	return ""
}
