package steps

import (
	"fmt"
	"slices"
	"strconv"

	"pbxlab/pbx/config"
)

// ConfigSubscriber maps a scenario number to the subscriber of that number
// in cfg: how a target that owns the PBX's configuration (InProcess, a
// container per scenario) answers Session.Subscriber.
func ConfigSubscriber(cfg *config.Config, name string) (Subscriber, error) {
	subs := cfg.Subscribers()
	i := slices.IndexFunc(subs, func(sub config.Subscriber) bool { return sub.Number == name })
	if i < 0 {
		return Subscriber{}, fmt.Errorf("subscriber %s: %w in the configuration", name, ErrNoSubscriber)
	}
	return Subscriber{Number: subs[i].Number, Password: subs[i].Password}, nil
}

// ConfigUnassigned returns a number that is no subscriber of cfg (1999,
// 19999, ...): Session.Unassigned for a target that owns the configuration.
func ConfigUnassigned(cfg *config.Config) string {
	subs := cfg.Subscribers()
	for n := 1999; ; n = n*10 + 9 {
		num := strconv.Itoa(n)
		if !slices.ContainsFunc(subs, func(sub config.Subscriber) bool { return sub.Number == num }) {
			return num
		}
	}
}
