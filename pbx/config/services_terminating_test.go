package config

import (
	"strings"
	"testing"
	"time"
)

const forwardYAML = `
subscriber_ranges:
  - {from: "1000", to: "1099", password: "secret-{n}"}
services:
  switches:
    subscribers:
      1009: {forward: off, dnd: off}
  forward:
    max_hops: 3
    no_reply_after: 25s
    subscribers:
      "1002": {busy: "1003", no_reply: "1004", no_reply_after: 15s, unreachable: "1005"}
      "1006": {unconditional: "900441234"}
  dnd:
    subscribers: ["1007"]
`

func TestParseForwardDND(t *testing.T) {
	c, err := Parse("pbx.yaml", []byte(forwardYAML))
	if err != nil {
		t.Fatal(err)
	}
	f := c.Services.Forward
	if f.MaxHops != 3 || f.NoReplyAfter != 25*time.Second {
		t.Errorf("forward = %+v", f)
	}
	if got := f.Subscribers["1002"]; got != (Forwards{Busy: "1003", NoReply: "1004", NoReplyAfter: 15 * time.Second, Unreachable: "1005"}) {
		t.Errorf("forwards of 1002 = %+v", got)
	}
	if got := f.Subscribers["1006"].Unconditional; got != "900441234" {
		t.Errorf("unconditional of 1006 = %q", got)
	}
	if len(c.Services.DND.Subscribers) != 1 || c.Services.DND.Subscribers[0] != "1007" {
		t.Errorf("dnd = %+v", c.Services.DND)
	}
	sw := c.Services.Switches.SwitchesConfig()
	if sw.Subscribers["1009"]["forward"] || sw.Subscribers["1009"]["dnd"] {
		t.Errorf("switches of 1009 = %v", sw.Subscribers["1009"])
	}
}

func TestForwardDNDErrors(t *testing.T) {
	const subs = "subscribers:\n  - {number: \"1001\", password: a-password}\nservices:\n"
	for _, tc := range []struct {
		name, yaml, want string
	}{
		{"hops", subs + "  forward:\n    max_hops: 9\n", `pbx.yaml:5: services.forward.max_hops: must be between 1 and 8`},
		{"target", subs + "  forward:\n    subscribers:\n      \"1001\": {busy: \"10x\"}\n", `services.forward.subscribers.1001.busy: "10x": want 1 to 32 digits`},
		{"to itself", subs + "  forward:\n    subscribers:\n      \"1001\": {no_reply: \"1001\"}\n", `services.forward.subscribers.1001.no_reply: "1001" forwards to itself`},
		{"not a subscriber", subs + "  forward:\n    subscribers:\n      \"2001\": {busy: \"1001\"}\n", `services.forward.subscribers.2001: "2001" is not a subscriber`},
		{"unknown kind", subs + "  forward:\n    subscribers:\n      \"1001\": {bussy: \"1002\"}\n", `unknown field "bussy"`},
		{"dnd not a subscriber", subs + "  dnd:\n    subscribers: [\"2001\"]\n", `services.dnd.subscribers[0]: "2001" is not a subscriber`},
		{"waiting not a subscriber", subs + "  waiting:\n    subscribers: {\"2001\": off}\n", `services.waiting.subscribers.2001: "2001" is not a subscriber`},
		{"waiting bad default", subs + "  waiting:\n    default: maybe\n", `services.waiting.default: "maybe": want on or off`},
		{"waiting bad setting", subs + "  waiting:\n    subscribers: {\"1001\": yes}\n", `services.waiting.subscribers.1001: "yes": want on or off`},
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
