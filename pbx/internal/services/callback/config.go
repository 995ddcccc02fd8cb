package callback

import (
	"time"

	"pbxlab/pbx/internal/services"
)

// DefaultTimeout is Config.Timeout when 0 (Asterisk's ccbs_available_timer
// is 4800 s; RFC 5359 leaves it open; half an hour is an office's "later").
const DefaultTimeout = 30 * time.Minute

// Config is the services.callback section.
type Config struct {
	// Timeout is how long a request waits for the busy number to become
	// free; then it is dropped. Default 30m (0 means 30m).
	Timeout time.Duration `yaml:"timeout"`
}

func (cfg Config) timeout() time.Duration {
	if cfg.Timeout == 0 {
		return DefaultTimeout
	}
	return cfg.Timeout
}

// Check reports what is wrong with cfg, each problem at its field.
func (cfg Config) Check() services.Problems {
	var ps services.Problems
	if cfg.Timeout < 0 {
		ps.Add("timeout", "%s: want a positive duration (0: %s)", cfg.Timeout, DefaultTimeout)
	}
	return ps
}
