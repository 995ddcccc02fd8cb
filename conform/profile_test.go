package conform

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const goodProfile = `
name: lab
kind: proxy-registrar
transport: tcp
subscribers:
  - {number: "2000", password: secret}
  - number: 2001
    password: 1234
subscriber_ranges:
  - {from: "0100", to: "0102", password: "pw{n}"}
unassigned_number: "999"
capabilities: [registrar, calls, auth, service-voicemail]
services: {voicemail: "8000", ivr: "8100"}
feature_codes: {forward-unconditional: "*72"}
torture: {expectations: pbxlab}
`

func TestParseProfile(t *testing.T) {
	p, err := ParseProfile("lab.yaml", []byte(goodProfile))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(p.Numbers(), " "); got != "2000 2001 0100 0101 0102" {
		t.Errorf("numbers %q", got)
	}
	for num, want := range map[string]string{"2000": "secret", "2001": "1234", "0101": "pw0101", "101": "", "0103": "", "x": ""} {
		if got := p.Password(num); got != want {
			t.Errorf("Password(%s) = %q, want %q", num, got, want)
		}
	}
	if p.Transport != "tcp" || p.Torture.Expectations != "pbxlab" || !p.Offers("auth") || p.Offers("nat") || p.Services["voicemail"] != "8000" || p.FeatureCodes["forward-unconditional"] != "*72" {
		t.Errorf("profile %+v", p)
	}
	min, err := ParseProfile("min.yaml", []byte("name: m\nkind: proxy-registrar\nsubscriber_ranges: [{from: '1', to: '2', password: p}]\ncapabilities: [registrar, calls, auth]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if min.Transport != "udp" || min.Torture.Expectations != "rfc" {
		t.Errorf("defaults: transport %q, torture %q", min.Transport, min.Torture.Expectations)
	}
}

// TestParseProfileErrors: each bad profile is refused with a message that
// names the file, the line and the field.
func TestParseProfileErrors(t *testing.T) {
	base := "name: lab\nkind: proxy-registrar\ncapabilities: [registrar, calls, auth]\n"
	subs := "subscribers:\n  - {number: '1', password: a}\n  - {number: '2', password: b}\n"
	tests := []struct {
		name, yaml string
		want       []string
	}{
		{"unknown top key", base + subs + "capabilties: [nat]\n", []string{"p.yaml:7: capabilties: unknown key (did you mean \"capabilities\"?)"}},
		{"unknown nested key", base + "subscribers:\n  - {number: '1', pasword: a}\n", []string{"p.yaml:5: subscribers[0].pasword: unknown key (did you mean \"password\"?)"}},
		{"missing password", base + "subscribers:\n  - {number: '1'}\n  - {number: '2', password: b}\n", []string{"p.yaml:5: subscribers[0].password: missing: every subscriber needs its digest password"}},
		{"range without password", base + "subscriber_ranges: [{from: '1', to: '9'}]\n", []string{"subscriber_ranges[0].password: missing"}},
		{"no subscribers", base, []string{"subscribers: missing: the scenarios need at least 2 subscribers"}},
		{"one subscriber", base + "subscribers: [{number: '1', password: a}]\n", []string{"1 subscriber(s): the scenarios need at least 2"}},
		{"duplicate number", base + subs + "subscriber_ranges: [{from: '0', to: '3', password: p}]\n", []string{"p.yaml:7: subscriber_ranges[0]: number 1 is already defined by subscribers[0] (line 5)"}},
		{"duplicate explicit", base + "subscribers:\n  - {number: '1', password: a}\n  - {number: '1', password: b}\n", []string{"p.yaml:6: subscribers[1]: number 1 is already defined by subscribers[0] (line 5)"}},
		{"bad range", base + "subscriber_ranges: [{from: '9', to: '1', password: p}]\n", []string{"subscriber_ranges[0]: from 9 is above to 1"}},
		{"huge range", base + "subscriber_ranges: [{from: '0', to: '999999999', password: p}]\n", []string{"more than 100000 subscribers"}},
		{"unknown capability", "name: lab\nkind: proxy-registrar\ncapabilities: [registrar, calls, auth, forkin]\n" + subs, []string{"p.yaml:3: capabilities[3]: unknown capability \"forkin\" (did you mean \"forking\"?)"}},
		{"kind needs capability", "name: lab\nkind: pbx\ncapabilities: [registrar, calls, auth]\n" + subs, []string{"capabilities: a pbx target must offer \"numbering\""}},
		{"unknown kind", "name: lab\nkind: sbc\ncapabilities: [registrar]\n" + subs, []string{"p.yaml:2: kind: unknown kind \"sbc\""}},
		{"missing name and kind", "capabilities: [registrar]\n" + subs, []string{"name: missing", "kind: missing"}},
		{"wrong type", base + subs + "transport: [udp]\n", []string{"p.yaml:7: transport: want a value, got a list"}},
		{"bool for a string", base + subs + "domain: true\n", []string{"domain: want a string, got a boolean \"true\""}},
		{"bad transport", base + subs + "transport: sctp\n", []string{"transport: \"sctp\": want udp or tcp"}},
		{"bad torture table", base + subs + "torture: {expectations: asterisk}\n", []string{"torture.expectations: \"asterisk\": want rfc or pbxlab"}},
		{"unassigned is a subscriber", base + subs + "unassigned_number: '2'\n", []string{"unassigned_number: 2 is a subscriber (subscribers[1])"}},
		{"unknown service", base + subs + "services: {pager: '7'}\n", []string{"services.pager: unknown service \"pager\""}},
		{"bad feature code", base + subs + "feature_codes: {dnd: 'abc'}\n", []string{"feature_codes.dnd: \"abc\": a feature code is"}},
		{"duplicate key", base + subs + "name: other\n", []string{"p.yaml:7: name: duplicate key (first at line 1)"}},
		{"alias", "description: &d lab\nname: *d\nkind: proxy-registrar\ncapabilities: [registrar, calls, auth]\n" + subs, []string{"p.yaml:2: name: YAML aliases are not allowed"}},
		{"syntax", "name: [\n", []string{"p.yaml:"}},
		{"two documents", base + subs + "---\nname: b\n", []string{"more than one YAML document"}},
		{"not a mapping", "- a\n- b\n", []string{"want a mapping, got a list"}},
		{"empty", "", []string{"empty profile"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseProfile("p.yaml", []byte(tt.yaml))
			if err == nil {
				t.Fatal("accepted")
			}
			if !errors.Is(err, ErrProfile) {
				t.Errorf("%v does not match ErrProfile", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error\n%v\ndoes not contain %q", err, w)
				}
			}
		})
	}
}

// TestCommittedProfiles: the profiles in targets/ load.
func TestCommittedProfiles(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("targets", "*.yaml"))
	if len(files) < 2 {
		t.Fatalf("profiles: %v", files)
	}
	for _, f := range files {
		p, err := LoadProfile(f)
		if err != nil {
			t.Error(err)
			continue
		}
		if len(p.Numbers()) < 3*DefaultConcurrency {
			t.Errorf("%s: %d numbers: too few for %d scenarios at once", f, len(p.Numbers()), DefaultConcurrency)
		}
	}
	if _, err := LoadProfile(filepath.Join("targets", "missing.yaml")); err == nil {
		t.Error("a missing file loads")
	}
}

func TestKnownCapabilitiesAreTheSuites(t *testing.T) {
	for _, k := range Kinds() {
		for _, c := range k.Requires {
			if !slices.Contains(KnownCapabilities(), c) {
				t.Errorf("kind %s requires unknown capability %q", k.Name, c)
			}
		}
	}
}
