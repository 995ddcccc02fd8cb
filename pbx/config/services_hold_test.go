package config

import (
	"strings"
	"testing"
)

func TestParseHold(t *testing.T) {
	c, err := Parse("pbx.yaml", []byte("subscribers:\n  - {number: \"1001\", password: a-password}\nservices:\n  hold:\n    default: relay\n    subscribers: {\"1001\": pbx}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if h := c.Services.Hold; h.Default != "relay" || h.Subscribers["1001"] != "pbx" {
		t.Errorf("hold = %+v", h)
	}
}

func TestHoldErrors(t *testing.T) {
	const subs = "subscribers:\n  - {number: \"1001\", password: a-password}\nservices:\n"
	for _, tc := range []struct {
		name, yaml, want string
	}{
		{"bad default", subs + "  hold:\n    default: music\n", `pbx.yaml:5: services.hold.default: "music": want relay or pbx`},
		{"bad mode", subs + "  hold:\n    subscribers: {\"1001\": park}\n", `services.hold.subscribers.1001: "park": want relay or pbx`},
		{"not a subscriber", subs + "  hold:\n    subscribers: {\"2001\": pbx}\n", `services.hold.subscribers.2001: "2001" is not a subscriber`},
		{"unknown field", subs + "  hold:\n    mode: pbx\n", `unknown field "mode"`},
		{"switch known", subs + "  switches:\n    defaults: {hold: maybe}\n", `services.switches.defaults.hold: "maybe": want on or off`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("pbx.yaml", []byte(tc.yaml))
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error\n%v\nwant it to contain\n%s", err, tc.want)
			}
		})
	}
}
