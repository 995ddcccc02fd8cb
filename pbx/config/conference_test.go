package config

import (
	"testing"
)

func TestParseConferencesAndRecording(t *testing.T) {
	c, err := Parse("pbx.yaml", []byte(`
conferences:
  - number: "800"
  - {number: "801", max_parties: 3, pin: "1234"}
recording:
  dir: /var/spool/pbxlab/rec
subscribers:
  - {number: "1000", password: x, record: true}
  - {number: "1001", password: y}
`))
	if err != nil {
		t.Fatal(err)
	}
	want := []Conference{{Number: "800", MaxParties: DefaultMaxParties}, {Number: "801", MaxParties: 3, PIN: "1234"}}
	if len(c.Conferences) != 2 || c.Conferences[0] != want[0] || c.Conferences[1] != want[1] {
		t.Fatalf("conferences %+v, want %+v", c.Conferences, want)
	}
	if r, ok := c.Conference("801"); !ok || r != want[1] {
		t.Errorf("Conference(801) = %+v, %v", r, ok)
	}
	if _, ok := c.Conference("1000"); ok {
		t.Error("Conference(1000) found a subscriber")
	}
	subs := c.Subscribers()
	if !subs[0].Record || subs[1].Record || c.Recording.Dir != "/var/spool/pbxlab/rec" {
		t.Errorf("record %v %v dir %q", subs[0].Record, subs[1].Record, c.Recording.Dir)
	}
	out, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	again, err := Parse("printed.yaml", out)
	if err != nil {
		t.Fatalf("parse printed config: %v\n%s", err, out)
	}
	if len(again.Conferences) != 2 || again.Conferences[1] != want[1] || again.Recording != c.Recording || !again.Subscribers()[0].Record {
		t.Errorf("printed config does not round-trip:\n%s", out)
	}
}

func TestConferenceErrors(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"no number", "conferences:\n  - {max_parties: 4}\n",
			`pbx.yaml:2: conferences[0].number: number is required`},
		{"not digits", "conferences:\n  - number: 8a0\n",
			`pbx.yaml:2: conferences[0].number: number "8a0" must be digits only`},
		{"duplicate", "conferences:\n  - number: \"800\"\n  - number: \"800\"\n",
			`pbx.yaml:3: conferences[1].number: duplicate conference number "800" (also conferences[0])`},
		{"a subscriber's number", "subscribers:\n  - {number: \"800\", password: x}\nconferences:\n  - number: \"800\"\n",
			`pbx.yaml:4: conferences[0].number: number "800" is also a subscriber`},
		{"in a subscriber range", "subscriber_ranges:\n  - {from: \"1000\", to: \"1099\", password: \"p{n}\"}\nconferences:\n  - number: \"1050\"\n",
			`pbx.yaml:4: conferences[0].number: number "1050" is also a subscriber`},
		{"too few parties", "conferences:\n  - {number: \"800\", max_parties: 1}\n",
			`pbx.yaml:2: conferences[0].max_parties: must be between 2 and 256, got 1`},
		{"too many parties", "conferences:\n  - number: \"800\"\n    max_parties: 1000\n",
			`pbx.yaml:3: conferences[0].max_parties: must be between 2 and 256, got 1000`},
		{"bad pin", "conferences:\n  - number: \"800\"\n    pin: \"12#\"\n",
			`pbx.yaml:3: conferences[0].pin: must be 1 to 16 digits`},
		{"unknown field", "conferences:\n  - number: \"800\"\n    max_party: 3\n",
			`pbx.yaml:3: conferences[0]: unknown field "max_party"`},
		{"record without dir", "subscribers:\n  - {number: \"1000\", password: x}\n  - number: \"1001\"\n    password: y\n    record: true\n",
			`pbx.yaml:5: subscribers[1].record: recording.dir is required to record calls of 1001`},
		{"record not a bool", "subscribers:\n  - {number: \"1000\", password: x, record: sometimes}\n",
			`pbx.yaml:2: subscribers[0].record: want true or false, got "sometimes"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("pbx.yaml", []byte(tt.yaml))
			if err == nil {
				t.Fatalf("Parse succeeded: %+v", c)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("error\n got: %s\nwant: %s", got, tt.want)
			}
		})
	}
}
