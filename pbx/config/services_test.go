package config

import (
	"slices"
	"strings"
	"testing"

	"pbxlab/pbx/internal/services/switches"
)

const servicesYAML = `
subscriber_ranges:
  - {from: "1000", to: "1099", password: "secret-{n}"}
services:
  switches:
    defaults: {abbreviated: on}
    subscribers:
      1003: {authority: off}
    gateway_prefixes:
      "19": {abbreviated: off}
    office_gateway_prefixes:
      "10": {group_restriction: on}
  emergency:
    numbers: ["112", "110"]
  authority:
    classes:
      - {name: internal}
      - {name: national, prefixes: ["90"]}
      - {name: international, prefixes: ["900"]}
    roles:
      - {name: lobby, class: internal}
      - {name: staff, class: national}
    members:
      - {role: lobby, numbers: ["1009"], prefixes: ["109"]}
    default_role: staff
  group_restriction:
    groups:
      - {name: guests, prefixes: ["109"]}
      - {name: board, numbers: ["1001"]}
    restrictions:
      - {from: guests, to: board}
  abbreviated:
    digits: 2
    codes: {"01": "1002", "02": "900441234"}
`

func TestParseServices(t *testing.T) {
	c, err := Parse("pbx.yaml", []byte(servicesYAML))
	if err != nil {
		t.Fatal(err)
	}
	s := c.Services
	if got := s.Emergency.Numbers; !slices.Equal(got, []string{"112", "110"}) {
		t.Errorf("emergency numbers %v", got)
	}
	if len(s.Authority.Classes) != 3 || s.Authority.Roles[1].Class != "national" || s.Authority.DefaultRole != "staff" {
		t.Errorf("authority %+v", s.Authority)
	}
	if len(s.GroupRestriction.Restrictions) != 1 || s.Abbreviated.Codes["02"] != "900441234" {
		t.Errorf("restriction %+v, abbreviated %+v", s.GroupRestriction, s.Abbreviated)
	}
	sw, err := switches.New(s.Switches.SwitchesConfig())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		svc, number string
		want        bool
	}{{"authority", "1003", false}, {"authority", "1004", true}, {"abbreviated", "1901", false}, {"abbreviated", "1001", true}} {
		if got := sw.On(tc.svc, tc.number); got != tc.want {
			t.Errorf("switch %s for %s: %v, want %v", tc.svc, tc.number, got, tc.want)
		}
	}
}

func TestServicesDefaults(t *testing.T) {
	c, err := Parse("pbx.yaml", []byte("services:\n  abbreviated: {codes: {\"01\": \"1001\"}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Services.Emergency.Numbers; !slices.Equal(got, []string{"110", "112", "119", "120", "122", "911"}) {
		t.Errorf("default emergency numbers %v", got)
	}
	if c.Services.Authority.Enabled() {
		t.Error("authority on by default")
	}
	c, err = Parse("pbx.yaml", []byte("services:\n  emergency: {numbers: []}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if n := c.Services.Emergency.Numbers; len(n) != 0 {
		t.Errorf("numbers: [] keeps %v", n)
	}
}

// TestServicesErrorsNameFileLineAndField: every problem of the services
// section is refused at its field and line.
func TestServicesErrorsNameFileLineAndField(t *testing.T) {
	const subs = "subscribers:\n  - {number: \"1001\", password: a-password}\nservices:\n"
	for _, tc := range []struct {
		name, yaml, want string
	}{
		{"unknown service", subs + "  switches:\n    defaults: {teleport: off}\n", `pbx.yaml:5: services.switches.defaults.teleport: unknown service "teleport"`},
		{"not on or off", subs + "  switches:\n    defaults: {authority: maybe}\n", `services.switches.defaults.authority: "maybe": want on or off`},
		{"unknown subscriber", subs + "  switches:\n    subscribers:\n      \"2001\": {authority: off}\n", `pbx.yaml:6: services.switches.subscribers.2001: "2001" is not a subscriber`},
		{"prefix not digits", subs + "  switches:\n    gateway_prefixes:\n      \"2x\": {authority: off}\n", `services.switches.gateway_prefixes.2x: "2x": want a number prefix`},
		{"contradictory prefixes", subs + "  switches:\n    gateway_prefixes:\n      \"2\": {authority: off}\n    office_gateway_prefixes:\n      \"2\": {authority: on}\n",
			`pbx.yaml:8: services.switches.office_gateway_prefixes.2.authority: on here, off as a gateway prefix: contradictory`},
		{"emergency number", subs + "  emergency:\n    numbers: [\"112\", \"11 2\"]\n", `pbx.yaml:5: services.emergency.numbers[1]: "11 2": want 1 to 32 digits`},
		{"unknown class", subs + "  authority:\n    classes: [{name: internal}]\n    roles:\n      - {name: staff, class: national}\n",
			`pbx.yaml:7: services.authority.roles[0].class: unknown class "national"`},
		{"unknown role", subs + "  authority:\n    classes: [{name: internal}]\n    members:\n      - {role: boss, numbers: [\"1001\"]}\n",
			`services.authority.members[0].role: unknown role "boss"`},
		{"unknown group", subs + "  group_restriction:\n    groups: [{name: a, numbers: [\"1001\"]}]\n    restrictions:\n      - {from: a, to: b}\n",
			`pbx.yaml:7: services.group_restriction.restrictions[0].to: unknown group "b"`},
		{"code length", subs + "  abbreviated:\n    codes:\n      \"001\": \"1001\"\n", `pbx.yaml:6: services.abbreviated.codes.001: code "001": want 2 digits`},
		{"digits", subs + "  abbreviated:\n    digits: 9\n", `pbx.yaml:5: services.abbreviated.digits: must be between 1 and 4`},
		{"unknown field", subs + "  authorty: {}\n", `unknown field "authorty" (did you mean "authority"?)`},
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

// TestNotificationNumbers: a notification's receivers and deliverer must
// be subscribers; the problem names the field.
func TestNotificationNumbers(t *testing.T) {
	c := Demo()
	c.Services.Notification = NotificationConfig{Notifications: []Notification{
		{Name: "drill", Media: "goodbye", At: "08:00", Receivers: []string{"1001", "4242"}},
		{Name: "live", Mode: "remote", AccessCode: "*72", Deliverer: "4343", Receivers: []string{"1002"}},
	}}
	err := c.Validate()
	if err == nil {
		t.Fatal("unknown receiver and deliverer accepted")
	}
	for _, want := range []string{"services.notification.notifications[0].receivers[1]", "services.notification.notifications[1].deliverer"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
}
