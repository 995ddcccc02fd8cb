package notification

import (
	"fmt"
	"strconv"
	"time"

	"pbxlab/pbx/internal/services"
)

// Mode is how a notification is delivered.
type Mode string

// Modes (the manual's ch. 23).
const (
	// Local: the PBX plays the stored media file to each receiver, who can
	// replay it by dialling the access code.
	Local Mode = "local"
	// Remote: the deliverer dials the access code and speaks live to every
	// receiver; the deliverer's hang-up ends it for all.
	Remote Mode = "remote"
)

// Notification is one group notification.
type Notification struct {
	// Name names it in logs and the status. Required, unique.
	Name string `yaml:"name"`
	// Media is the media ID of the stored file played (local mode).
	// Required in local mode.
	Media string `yaml:"media"`
	// Receivers are the subscriber numbers called. Required.
	Receivers []string `yaml:"receivers"`
	// At is the time of day "hh:mm" (time_zone) the receivers ring
	// (local mode; in remote mode the deliverer's call starts it).
	// Required in local mode.
	At string `yaml:"at"`
	// Date "YYYY-MM-DD" makes it ring once, that day; "" every day.
	Date string `yaml:"date"`
	// AccessCode is the number receivers dial to hear it again (local) or
	// the deliverer dials to speak (remote), e.g. *71. Default none.
	AccessCode string `yaml:"access_code"`
	// RetryInterval is the time before a receiver who did not answer is
	// called again. Default 5m.
	RetryInterval time.Duration `yaml:"retry_interval"`
	// MaxTries bounds the calls to one receiver (the manual: at most 10).
	// Default 10.
	MaxTries int `yaml:"max_tries"`
	// Mode is local or remote. Default local.
	Mode Mode `yaml:"mode"`
	// Deliverer is the subscriber allowed to use a remote notification's
	// access code. Required in remote mode.
	Deliverer string `yaml:"deliverer"`
}

// Config is the services.notification section.
type Config struct {
	// TimeZone is the IANA zone of the notifications' times. Default "":
	// the PBX host's local zone.
	TimeZone string `yaml:"time_zone"`
	// Ring is how long each call to a receiver rings. Default 30s.
	Ring time.Duration `yaml:"ring"`
	// Notifications. Default none.
	Notifications []Notification `yaml:"notifications"`
}

// Defaults and bounds.
const (
	DefaultRetryInterval = 5 * time.Minute
	DefaultRing          = 30 * time.Second
	MaxTries             = 10
)

func (cfg Config) withDefaults() Config {
	if cfg.Ring == 0 {
		cfg.Ring = DefaultRing
	}
	ns := make([]Notification, len(cfg.Notifications))
	for i, n := range cfg.Notifications {
		if n.RetryInterval == 0 {
			n.RetryInterval = DefaultRetryInterval
		}
		if n.MaxTries == 0 {
			n.MaxTries = MaxTries
		}
		if n.Mode == "" {
			n.Mode = Local
		}
		ns[i] = n
	}
	cfg.Notifications = ns
	return cfg
}

// Check reports what is wrong with cfg, each problem at its field. Whether
// the receivers are subscribers and the media ID exists is the PBX's check.
func (cfg Config) Check() services.Problems {
	var ps services.Problems
	if cfg.TimeZone != "" {
		if _, err := time.LoadLocation(cfg.TimeZone); err != nil {
			ps.Add("time_zone", "%q: not an IANA time zone", cfg.TimeZone)
		}
	}
	if cfg.Ring < 0 {
		ps.Add("ring", "%s: want a positive duration", cfg.Ring)
	}
	names, codes := map[string]bool{}, map[string]bool{}
	for i, n := range cfg.Notifications {
		f := "notifications[" + strconv.Itoa(i) + "]."
		ps.Name(f+"name", n.Name, names)
		mode := n.Mode
		if mode == "" {
			mode = Local
		}
		if mode != Local && mode != Remote {
			ps.Add(f+"mode", "%q: want local or remote", n.Mode)
		}
		if len(n.Receivers) == 0 {
			ps.Add(f+"receivers", "required")
		}
		seen := map[string]bool{}
		for j, r := range n.Receivers {
			rf := f + "receivers[" + strconv.Itoa(j) + "]"
			if ps.Number(rf, r) && seen[r] {
				ps.Add(rf, "%q listed twice", r)
			}
			seen[r] = true
		}
		if mode == Local {
			if n.Media == "" {
				ps.Add(f+"media", "required in local mode")
			}
			if n.At == "" {
				ps.Add(f+"at", "required in local mode")
			}
		}
		if n.At != "" {
			if _, err := ParseClock(n.At); err != nil {
				ps.Add(f+"at", "%v", err)
			}
		}
		if n.Date != "" {
			if _, err := time.Parse(time.DateOnly, n.Date); err != nil {
				ps.Add(f+"date", "%q: want YYYY-MM-DD", n.Date)
			}
		}
		if mode == Remote {
			if n.AccessCode == "" {
				ps.Add(f+"access_code", "required in remote mode")
			}
			if n.Deliverer == "" {
				ps.Add(f+"deliverer", "required in remote mode")
			} else {
				ps.Number(f+"deliverer", n.Deliverer)
			}
		}
		if c := n.AccessCode; c != "" {
			if services.NormaliseCode(c) != c || len(c) > 16 || !codeChars(c) {
				ps.Add(f+"access_code", "%q: want digits, * and # (no trailing #)", c)
			} else if codes[c] {
				ps.Add(f+"access_code", "%q used twice", c)
			}
			codes[c] = true
		}
		if n.MaxTries < 0 || n.MaxTries > MaxTries {
			ps.Add(f+"max_tries", "%d: want 1 to %d", n.MaxTries, MaxTries)
		}
		if n.RetryInterval < 0 {
			ps.Add(f+"retry_interval", "%s: want a positive duration", n.RetryInterval)
		}
	}
	return ps
}

func codeChars(c string) bool {
	for _, r := range c {
		if (r < '0' || r > '9') && r != '*' && r != '#' {
			return false
		}
	}
	return c != ""
}

// Clock is a time of day.
type Clock struct{ Hour, Minute int }

// ParseClock reads "hh:mm" (00:00 to 23:59).
func ParseClock(s string) (Clock, error) {
	t, err := time.Parse("15:04", s)
	if err != nil || len(s) != 5 {
		return Clock{}, fmt.Errorf("%q: want hh:mm", s)
	}
	return Clock{Hour: t.Hour(), Minute: t.Minute()}, nil
}

func (cfg Config) location() *time.Location {
	if cfg.TimeZone == "" {
		return time.Local
	}
	if loc, err := time.LoadLocation(cfg.TimeZone); err == nil {
		return loc
	}
	return time.Local
}
