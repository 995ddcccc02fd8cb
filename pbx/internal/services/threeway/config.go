package threeway

import (
	"strings"
	"time"

	"pbxlab/pbx/internal/services"
)

// HostLeaves is what happens to a three-party call when its host (the
// party who merged it) hangs up.
type HostLeaves string

// HostLeaves values.
const (
	// HostLeavesStay: the others stay connected (Asterisk's three-way
	// after atxferthreeway, FreeSWITCH's conference without endconf).
	HostLeavesStay HostLeaves = "stay"
	// HostLeavesEnd: the conference ends, every party gets BYE.
	HostLeavesEnd HostLeaves = "end"
)

// Defaults (project defaults).
const (
	// DefaultCode is the in-call code that merges (Asterisk's
	// atxferthreeway is *3 too).
	DefaultCode = "*3"
	// DefaultMaxParties is the seats of an ad-hoc conference.
	DefaultMaxParties = 6
	// DefaultDigitTimeout is the longest pause between the code's keys.
	DefaultDigitTimeout = 3 * time.Second
)

// Config is the services.three_party section.
type Config struct {
	// Code is the in-call code (RFC 4733 DTMF on the consultation call)
	// that merges the held call and the consultation call into one
	// conference: * and # and digits, 1 to 8 keys. Default "*3".
	Code string `yaml:"code"`
	// MaxParties bounds an ad-hoc conference (the three of a three-party
	// call and those added later): 3 to 32. Default 6.
	MaxParties int `yaml:"max_parties"`
	// OnHostHangup is stay (the others stay connected) or end (the
	// conference ends with its host). Default stay.
	OnHostHangup HostLeaves `yaml:"on_host_hangup"`
	// DigitTimeout is the longest pause between the code's keys. Default
	// 3s.
	DigitTimeout time.Duration `yaml:"digit_timeout"`
}

// Check reports what is wrong with cfg, each problem at its field.
func (cfg Config) Check() services.Problems {
	var ps services.Problems
	if c := cfg.Code; c != "" && (len(c) > 8 || strings.Trim(c, "0123456789*#") != "") {
		ps.Add("code", "%q: want 1 to 8 keys of 0-9, * and #", c)
	}
	if n := cfg.MaxParties; n != 0 && (n < 3 || n > 32) {
		ps.Add("max_parties", "%d: want 3 to 32", n)
	}
	if h := cfg.OnHostHangup; h != "" && h != HostLeavesStay && h != HostLeavesEnd {
		ps.Add("on_host_hangup", "%q: want stay or end", h)
	}
	if cfg.DigitTimeout < 0 {
		ps.Add("digit_timeout", "%s: want a positive duration", cfg.DigitTimeout)
	}
	return ps
}

// withDefaults fills the fields left empty.
func (cfg Config) withDefaults() Config {
	if cfg.Code == "" {
		cfg.Code = DefaultCode
	}
	if cfg.MaxParties == 0 {
		cfg.MaxParties = DefaultMaxParties
	}
	if cfg.OnHostHangup == "" {
		cfg.OnHostHangup = HostLeavesStay
	}
	if cfg.DigitTimeout == 0 {
		cfg.DigitTimeout = DefaultDigitTimeout
	}
	return cfg
}
