package config

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"pbxlab/pbx/internal/numbering"
)

// Numbering is the location server's numbering plan (the manual's Location
// Server and Feature modules): the PBX's own location, the devices of the
// LS domain with theirs, number analysis entries, and the substitution
// rules and tables with what they are bound to. Subscribers are entries of
// their own (their exact number, at the PBX's location or their device's).
// Default: no locations, no entries beyond the subscribers, no rules.
type Numbering struct {
	// Country and Area are the PBX's own location (codes without
	// prefixes, e.g. "86" and "10"). Default none.
	Country string `yaml:"country"`
	Area    string `yaml:"area"`
	// NationalPrefix and InternationalPrefix introduce the national
	// (area+subscriber) and international (country+area+subscriber)
	// forms of a dialled number. Default "0" and "00".
	NationalPrefix      *string `yaml:"national_prefix"`
	InternationalPrefix *string `yaml:"international_prefix"`
	// Devices are the gateways, office gateways and peer servers of the
	// LS domain, each at its location.
	Devices []NumberingDevice `yaml:"devices"`
	// Entries are number analysis entries beyond the subscribers.
	Entries []NumberingEntry `yaml:"entries"`
	// Contexts maps a context to the one consulted when it has no match
	// ("" for none); every context falls back to "default" otherwise.
	Contexts map[string]string `yaml:"contexts"`
	// Tables are named lists of substitution rules.
	Tables []NumberingTable `yaml:"tables"`
	// Bindings attach rules and tables to a calling number, a called
	// number, an originating or terminating device, or the LS.
	Bindings []NumberingBinding `yaml:"bindings"`
}

// NumberingDevice is a device of the LS domain.
type NumberingDevice struct {
	Name     string `yaml:"name"`
	Kind     string `yaml:"kind"` // gateway, office_gateway or peer
	Country  string `yaml:"country"`
	Area     string `yaml:"area"`
	InDomain bool   `yaml:"in_domain"`
}

// NumberingEntry is one number analysis entry: numbers starting with
// Prefix and Min..Max digits long (0: no bound) go to Kind/Target.
type NumberingEntry struct {
	Context string `yaml:"context"`
	Country string `yaml:"country"` // the location of the numbers; default the PBX's
	Area    string `yaml:"area"`
	Prefix  string `yaml:"prefix"`
	Min     int    `yaml:"min"`
	Max     int    `yaml:"max"`
	// Kind: subscriber, group, feature, ivr, conference, route or reject.
	Kind   string `yaml:"kind"`
	Target string `yaml:"target"`
	// Cause is the SIP status of a reject (403 by default).
	Cause  int    `yaml:"cause"`
	Device string `yaml:"device"` // the terminating device
}

// NumberingTable is a named list of rules: the first that matches applies.
type NumberingTable struct {
	Name  string          `yaml:"name"`
	Rules []NumberingRule `yaml:"rules"`
}

// NumberingRule rewrites the calling or the called number: a number
// starting with Prefix and Min..Max digits long loses its first Strip
// digits and gets Prepend; or, with Replace, the matched prefix becomes
// Replace.
type NumberingRule struct {
	Number  string  `yaml:"number"` // calling or called
	Prefix  string  `yaml:"prefix"`
	Min     int     `yaml:"min"`
	Max     int     `yaml:"max"`
	Strip   int     `yaml:"strip"`
	Prepend string  `yaml:"prepend"`
	Replace *string `yaml:"replace"`
}

// NumberingBinding binds rules and tables: Scope is calling-number,
// called-number, originating-device, terminating-device or global; Key
// the number or the device's name ("" for global).
type NumberingBinding struct {
	Scope  string          `yaml:"scope"`
	Key    string          `yaml:"key"`
	Rules  []NumberingRule `yaml:"rules"`
	Tables []string        `yaml:"tables"`
}

var deviceKinds = []string{"gateway", "office_gateway", "peer"}

// NumberingPlan builds the numbering plan of a valid configuration:
// subscribers first (exact numbers at the PBX's location), then entries.
func (c *Config) NumberingPlan() (*numbering.Plan, error) {
	cfg, err := c.numberingConfig()
	if err != nil {
		return nil, err
	}
	return numbering.NewPlan(cfg)
}

func (c *Config) numberingConfig() (numbering.Config, error) {
	n := c.Numbering
	np, ip := "0", "00"
	if n.NationalPrefix != nil {
		np = *n.NationalPrefix
	}
	if n.InternationalPrefix != nil {
		ip = *n.InternationalPrefix
	}
	out := numbering.Config{Home: numbering.Location{Country: n.Country, Area: n.Area}, NationalPrefix: np,
		InternationalPrefix: ip, Inherit: n.Contexts}
	for _, d := range n.Devices {
		out.Devices = append(out.Devices, numbering.Device{Name: d.Name, Location: numbering.Location{Country: d.Country, Area: d.Area}, InDomain: d.InDomain})
	}
	for _, s := range c.Subscribers() {
		e := numbering.Entry{Prefix: s.Number, MinLen: len(s.Number), MaxLen: len(s.Number), Kind: numbering.Subscriber, Target: s.Number}
		if s.Device != "" {
			e.Device, e.Location = s.Device, c.deviceLocation(s.Device)
		}
		out.Entries = append(out.Entries, e)
	}
	for _, g := range c.Services.Hunt.Groups {
		if g.Number != "" { // a hunt group's own number (services.hunt)
			out.Entries = append(out.Entries, numbering.Entry{Prefix: g.Number, MinLen: len(g.Number), MaxLen: len(g.Number), Kind: numbering.Group, Target: g.Name})
		}
	}
	for i, e := range n.Entries {
		kind, ok := numbering.ParseKind(e.Kind)
		if !ok {
			return out, &numbering.PlanError{Field: fmt.Sprintf("entries[%d].kind", i), Msg: fmt.Sprintf("unknown kind %q", e.Kind)}
		}
		out.Entries = append(out.Entries, numbering.Entry{Context: e.Context, Location: numbering.Location{Country: e.Country, Area: e.Area},
			Prefix: e.Prefix, MinLen: e.Min, MaxLen: e.Max, Kind: kind, Target: e.Target, Cause: e.Cause, Device: e.Device})
	}
	for i, t := range n.Tables {
		rs, err := numberingRules(t.Rules, fmt.Sprintf("tables[%d]", i))
		if err != nil {
			return out, err
		}
		out.Tables = append(out.Tables, numbering.Table{Name: t.Name, Rules: rs})
	}
	for i, b := range n.Bindings {
		field := fmt.Sprintf("bindings[%d]", i)
		scope, ok := numbering.ParseScope(b.Scope)
		if !ok {
			return out, &numbering.PlanError{Field: field + ".scope", Msg: fmt.Sprintf("unknown scope %q (calling-number, called-number, originating-device, terminating-device or global)", b.Scope)}
		}
		rs, err := numberingRules(b.Rules, field)
		if err != nil {
			return out, err
		}
		out.Rules = append(out.Rules, numbering.Binding{Scope: scope, Key: b.Key, Rules: rs, Tables: b.Tables})
	}
	return out, nil
}

func numberingRules(in []NumberingRule, field string) ([]numbering.Rule, error) {
	out := make([]numbering.Rule, 0, len(in))
	for j, r := range in {
		var which numbering.Which
		switch r.Number {
		case "calling":
			which = numbering.Calling
		case "called":
			which = numbering.Called
		default:
			return nil, &numbering.PlanError{Field: fmt.Sprintf("%s.rules[%d].number", field, j), Msg: fmt.Sprintf("%q: want calling or called", r.Number)}
		}
		out = append(out, numbering.Rule{Which: which, Prefix: r.Prefix, MinLen: r.Min, MaxLen: r.Max, Strip: r.Strip, Prepend: r.Prepend, Replace: r.Replace})
	}
	return out, nil
}

// numbering checks the plan: digits where digits go, known device kinds,
// and whatever numbering.NewPlan refuses, at the field it names.
func (v *validator) numbering() {
	n := v.c.Numbering
	digits := func(path, s string) {
		if strings.Trim(s, "0123456789") != "" {
			v.errorf(path, "%q: digits only", s)
		}
	}
	digits("numbering.country", n.Country)
	digits("numbering.area", n.Area)
	for i, d := range n.Devices {
		path := fmt.Sprintf("numbering.devices[%d]", i)
		digits(path+".country", d.Country)
		digits(path+".area", d.Area)
		if d.Kind != "" && !contains(deviceKinds, d.Kind) {
			v.errorf(path+".kind", "unknown kind %q (want %s)", d.Kind, strings.Join(deviceKinds, ", "))
		}
	}
	for i, s := range v.c.ExplicitSubscribers {
		if s.Device != "" && !slices.ContainsFunc(n.Devices, func(d NumberingDevice) bool { return d.Name == s.Device }) {
			v.errorf(fmt.Sprintf("subscribers[%d].device", i), "unknown device %q (numbering.devices)", s.Device)
		}
	}
	if len(n.Entries) == 0 && len(n.Tables) == 0 && len(n.Bindings) == 0 && len(n.Devices) == 0 {
		return // nothing beyond the subscribers, whose numbers are checked on their own
	}
	_, err := v.c.NumberingPlan()
	var pe *numbering.PlanError
	switch {
	case err == nil:
	case errors.As(err, &pe):
		v.errorf(v.numberingField(pe.Field), "%s", pe.Msg)
	default:
		v.errorf("numbering", "%v", err)
	}
}

// numberingField maps a plan field to the configuration's: the plan's
// entries are the subscribers, then numbering.entries.
func (v *validator) numberingField(f string) string {
	rest, ok := strings.CutPrefix(f, "entries[")
	if !ok {
		return "numbering." + f
	}
	end := strings.IndexByte(rest, ']')
	i, err := strconv.Atoi(rest[:max(end, 0)])
	if end < 0 || err != nil {
		return "numbering." + f
	}
	subs := len(v.c.Subscribers())
	switch {
	case i < len(v.c.ExplicitSubscribers):
		return fmt.Sprintf("subscribers[%d].number", i)
	case i < subs:
		return "subscriber_ranges"
	default:
		return fmt.Sprintf("numbering.entries[%d]%s", i-subs, rest[end+1:])
	}
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

// deviceLocation is the location of the named numbering device (zero if
// none).
func (c *Config) deviceLocation(name string) numbering.Location {
	for _, d := range c.Numbering.Devices {
		if d.Name == name {
			return numbering.Location{Country: d.Country, Area: d.Area}
		}
	}
	return numbering.Location{}
}

// SubscriberLocation is where a subscriber's number is: its device's
// location, or the PBX's own (numbering.country and area).
func (c *Config) SubscriberLocation(s Subscriber) numbering.Location {
	if s.Device != "" {
		if l := c.deviceLocation(s.Device); l != (numbering.Location{}) {
			return l
		}
	}
	return numbering.Location{Country: c.Numbering.Country, Area: c.Numbering.Area}
}
