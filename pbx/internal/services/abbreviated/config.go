package abbreviated

import (
	"maps"
	"slices"

	"pbxlab/pbx/internal/services"
)

// DefaultDigits is the length of a code when Config.Digits is 0.
const DefaultDigits = 2

// Config is the services.abbreviated section.
type Config struct {
	// Digits is the length of a code (the manual digest's nn): 1 to 4.
	// Default 2 (0 means 2).
	Digits int `yaml:"digits"`
	// Codes are the system-wide codes: code -> number (digits). A
	// subscriber's personal code of the same digits beats the system-wide
	// one. Default none.
	Codes map[string]string `yaml:"codes"`
}

// digits is the code length in effect.
func (cfg Config) digits() int {
	if cfg.Digits == 0 {
		return DefaultDigits
	}
	return cfg.Digits
}

// Check reports what is wrong with cfg, each problem at its field.
func (cfg Config) Check() services.Problems {
	var ps services.Problems
	if cfg.Digits < 0 || cfg.Digits > 4 {
		ps.Add("digits", "must be between 1 and 4 (0: %d), got %d", DefaultDigits, cfg.Digits)
		return ps
	}
	for _, code := range slices.Sorted(maps.Keys(cfg.Codes)) {
		f := "codes." + code
		if !isCode(code, cfg.digits()) {
			ps.Add(f, "code %q: want %d digits", code, cfg.digits())
		}
		if n := cfg.Codes[code]; !isNumber(n) {
			ps.Add(f, "number %q: want 1 to %d digits", n, maxNumber)
		}
	}
	return ps
}
