package config

import (
	"strings"
	"testing"

	"pbxlab/pbx/internal/services/presence"
)

func TestPresenceWatchersAreSubscribers(t *testing.T) {
	for _, tc := range []struct {
		name     string
		watchers map[string][]string
		field    string
	}{
		{"subscribers", map[string][]string{"1001": {"1002"}}, ""},
		{"watched unknown", map[string][]string{"1999": {"1002"}}, "services.presence.watchers.1999"},
		{"watcher unknown", map[string][]string{"1001": {"1002", "1999"}}, "services.presence.watchers.1001[1]"},
		{"not digits", map[string][]string{"1001": {"x"}}, "services.presence.watchers.1001[0]"},
	} {
		c := Demo()
		c.Services.Presence = presence.Config{Watchers: tc.watchers}
		err := c.Validate()
		switch {
		case tc.field == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.field != "" && (err == nil || !strings.Contains(err.Error(), tc.field)):
			t.Errorf("%s: %v, want a problem at %s", tc.name, err, tc.field)
		}
	}
}
