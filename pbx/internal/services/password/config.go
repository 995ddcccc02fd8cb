package password

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"pbxlab/pbx/internal/services"
)

// Config is the services.password section.
type Config struct {
	// Passwords are the subscribers' call passwords: subscriber number ->
	// password. A password is 4 digits, written plain ("1234") or hashed
	// ("sha256:" and the hex SHA-256 of "<number>:<password>", e.g. what
	// `printf 1001:1234 | sha256sum` prints). The administrator sets them
	// here (a configuration reload applies a change). A password
	// identifies its owner from any phone, so two plain passwords may not
	// be equal. Default none: nobody places password calls.
	Passwords map[string]string `yaml:"passwords"`
}

// hashPrefix marks a hashed password.
const hashPrefix = "sha256:"

// Hash is the hashed form of subscriber's password pin, as
// Config.Passwords takes it.
func Hash(subscriber, pin string) string {
	sum := sha256.Sum256([]byte(subscriber + ":" + pin))
	return hashPrefix + hex.EncodeToString(sum[:])
}

// ValidPIN reports whether pin is a call password: exactly 4 digits.
func ValidPIN(pin string) bool {
	return len(pin) == PINLength && strings.Trim(pin, "0123456789") == ""
}

// Check reports what is wrong with cfg, each problem at its field.
// Whether the numbers are subscribers is the PBX configuration's check.
func (cfg Config) Check() services.Problems {
	var ps services.Problems
	owner := map[string]string{}
	for _, n := range sortedKeys(cfg.Passwords) {
		f := "passwords." + n
		if !ps.Number(f, n) {
			continue
		}
		p := cfg.Passwords[n]
		switch {
		case strings.HasPrefix(p, hashPrefix):
			h := p[len(hashPrefix):]
			if _, err := hex.DecodeString(h); err != nil || len(h) != 2*sha256.Size {
				ps.Add(f, "want %s and 64 hex digits", hashPrefix)
			}
		case !ValidPIN(p):
			ps.Add(f, "want 4 digits or %s<hex>", hashPrefix)
		case owner[p] != "":
			ps.Add(f, "the same password as %s: a password must name its owner", owner[p])
		default:
			owner[p] = n
		}
	}
	return ps
}
