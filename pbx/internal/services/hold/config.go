package hold

import (
	"maps"
	"slices"

	"pbxlab/pbx/internal/services"
)

// Mode is how a subscriber's hold is carried out.
type Mode string

// Modes.
const (
	// ModeRelay passes the holder's re-INVITE to the held party end to
	// end (the media server still plays music on hold to the held party
	// when it anchors the call: pbx/internal/media/hold.go).
	ModeRelay Mode = "relay"
	// ModePBX has the PBX answer the holder's re-INVITE itself and play
	// music on hold to the held party, which is not re-INVITEd.
	ModePBX Mode = "pbx"
)

// Config is the services.hold section.
type Config struct {
	// Default is the hold mode of every subscriber Subscribers does not
	// name: relay or pbx. Default relay (end to end, as before the
	// service existed, and as Asterisk passes a SIP hold through when
	// directmedia is on).
	Default Mode `yaml:"default"`
	// Subscribers: subscriber number -> relay|pbx, beating Default.
	// Default none.
	Subscribers map[string]Mode `yaml:"subscribers"`
}

// Check reports what is wrong with cfg, each problem at its field.
// Whether the subscribers exist is the PBX configuration's check.
func (cfg Config) Check() services.Problems {
	var ps services.Problems
	if cfg.Default != "" && !cfg.Default.valid() {
		ps.Add("default", "%q: want relay or pbx", cfg.Default)
	}
	for _, n := range slices.Sorted(maps.Keys(cfg.Subscribers)) {
		f := "subscribers." + n
		if ps.Number(f, n) && !cfg.Subscribers[n].valid() {
			ps.Add(f, "%q: want relay or pbx", cfg.Subscribers[n])
		}
	}
	return ps
}

func (m Mode) valid() bool { return m == ModeRelay || m == ModePBX }

// mode is the configuration's mode for subscriber.
func (cfg Config) mode(subscriber string) Mode {
	if m, ok := cfg.Subscribers[subscriber]; ok {
		return m
	}
	if cfg.Default == "" {
		return ModeRelay
	}
	return cfg.Default
}
