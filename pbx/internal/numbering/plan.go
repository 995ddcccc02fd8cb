package numbering

import (
	"fmt"
	"slices"
	"strings"
)

// Kind is what number analysis found.
type Kind int

// Kinds of analysis result.
const (
	Subscriber Kind = iota + 1 // a subscriber of the PBX (Target: its number)
	Group                      // a hunt group (Target: its name)
	Feature                    // a feature code (Target: the service)
	IVR                        // an IVR (Target: its number)
	Conference                 // a conference room (Target: its number)
	Route                      // out through a route (Target: the route's name)
	Reject                     // refused (Cause: the SIP status)
)

var kindNames = map[Kind]string{Subscriber: "subscriber", Group: "group", Feature: "feature", IVR: "ivr",
	Conference: "conference", Route: "route", Reject: "reject"}

func (k Kind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// ParseKind is the inverse of Kind.String.
func ParseKind(s string) (Kind, bool) {
	for k, n := range kindNames {
		if n == s {
			return k, true
		}
	}
	return 0, false
}

// Entry is one number analysis entry: numbers of Location (the plan's home
// when zero) starting with Prefix and MinLen..MaxLen digits long (0: no
// bound) go to Kind/Target.
type Entry struct {
	Context  string // originating context ("" = DefaultContext)
	Location Location
	Prefix   string
	MinLen   int
	MaxLen   int
	Kind     Kind
	Target   string
	Cause    int    // Reject's status (403, 404 ...); 403 when 0
	Device   string // the terminating device (its rules and tables apply after analysis)
}

// DefaultContext is the context of callers that name none.
const DefaultContext = "default"

// Device is a device of the LS domain: a gateway, an office gateway or a
// peer SIP server (trunk), at a location.
type Device struct {
	Name     string
	Location Location
	InDomain bool // inside the LS domain (callers behind it get Table 1-2)
}

// Plan is the LS domain's numbering. Build it with NewPlan; it is
// immutable and safe for concurrent use.
type Plan struct {
	Home                Location // the PBX's own location
	NationalPrefix      string   // e.g. "0"
	InternationalPrefix string   // e.g. "00"

	locations []Location
	devices   map[string]Device
	// entries: context → location → prefix → entries (longest first by
	// construction of the lookup, several length ranges per prefix)
	entries map[string]map[Location]map[string][]Entry
	// partial: context → location → every proper prefix of an entry's
	// prefix (a number that is one may still grow into a match: 484)
	partial map[string]map[Location]map[string]bool
	inherit map[string]string // context → the context it falls back to
	subst   substitution
}

// Config is what NewPlan builds a Plan from.
type Config struct {
	Home                Location
	NationalPrefix      string
	InternationalPrefix string
	Devices             []Device
	Entries             []Entry
	// Inherit maps a context to the context consulted when it has no
	// match ("" for none; DefaultContext by default for every other).
	Inherit map[string]string
	Rules   []Binding
	Tables  []Table
}

// NewPlan checks cfg and builds its plan.
func NewPlan(cfg Config) (*Plan, error) {
	p := &Plan{
		Home: cfg.Home, NationalPrefix: cfg.NationalPrefix, InternationalPrefix: cfg.InternationalPrefix,
		devices: map[string]Device{}, entries: map[string]map[Location]map[string][]Entry{}, inherit: map[string]string{},
		partial: map[string]map[Location]map[string]bool{},
	}
	if np, ip := cfg.NationalPrefix, cfg.InternationalPrefix; np != "" && ip != "" && strings.HasPrefix(np, ip) {
		return nil, planErr("national_prefix", "%q starts with the international prefix %q", np, ip)
	}
	p.addLocation(cfg.Home)
	for i, d := range cfg.Devices {
		if _, dup := p.devices[d.Name]; dup || d.Name == "" {
			return nil, planErr(fmt.Sprintf("devices[%d].name", i), "device %q: empty or defined twice", d.Name)
		}
		p.devices[d.Name] = d
		p.addLocation(d.Location)
	}
	for i, e := range cfg.Entries {
		if err := p.addEntry(e); err != nil {
			return nil, planErr(fmt.Sprintf("entries[%d]", i), "%s", err.Error())
		}
	}
	for ctx, parent := range cfg.Inherit {
		p.inherit[ctx] = parent
	}
	if err := p.checkInherit(); err != nil {
		return nil, err
	}
	s, err := newSubstitution(cfg.Rules, cfg.Tables, p.devices)
	if err != nil {
		return nil, err
	}
	p.subst = s
	return p, nil
}

func (p *Plan) addLocation(l Location) {
	if l == (Location{}) || slices.Contains(p.locations, l) {
		return
	}
	p.locations = append(p.locations, l)
}

func (p *Plan) addEntry(e Entry) error {
	if e.Context == "" {
		e.Context = DefaultContext
	}
	if e.Location == (Location{}) {
		e.Location = p.Home
	}
	if e.Kind < Subscriber || e.Kind > Reject {
		return fmt.Errorf("prefix %q: no kind", e.Prefix)
	}
	if e.MinLen < 0 || e.MaxLen < 0 || (e.MaxLen > 0 && e.MinLen > e.MaxLen) {
		return fmt.Errorf("prefix %q: lengths %d..%d", e.Prefix, e.MinLen, e.MaxLen)
	}
	if e.MaxLen > 0 && len(e.Prefix) > e.MaxLen {
		return fmt.Errorf("prefix %q is longer than its max length %d", e.Prefix, e.MaxLen)
	}
	if e.Device != "" {
		if _, ok := p.devices[e.Device]; !ok {
			return fmt.Errorf("prefix %q: unknown device %q", e.Prefix, e.Device)
		}
	}
	byLoc := p.entries[e.Context]
	if byLoc == nil {
		byLoc = map[Location]map[string][]Entry{}
		p.entries[e.Context] = byLoc
	}
	byPrefix := byLoc[e.Location]
	if byPrefix == nil {
		byPrefix = map[string][]Entry{}
		byLoc[e.Location] = byPrefix
	}
	for _, o := range byPrefix[e.Prefix] {
		if overlaps(o, e) {
			return fmt.Errorf("prefix %q: lengths %d..%d overlap those of an earlier entry (%d..%d, %s %s)",
				e.Prefix, e.MinLen, e.MaxLen, o.MinLen, o.MaxLen, o.Kind, o.Target)
		}
	}
	p.addLocation(e.Location)
	byPrefix[e.Prefix] = append(byPrefix[e.Prefix], e)
	if p.partial[e.Context] == nil {
		p.partial[e.Context] = map[Location]map[string]bool{}
	}
	part := p.partial[e.Context][e.Location]
	if part == nil {
		part = map[string]bool{}
		p.partial[e.Context][e.Location] = part
	}
	for n := len(e.Prefix) - 1; n >= 0 && !part[e.Prefix[:n]]; n-- {
		part[e.Prefix[:n]] = true
	}
	return nil
}

// overlaps reports whether two entries of one prefix accept a common length.
func overlaps(a, b Entry) bool {
	hi := func(e Entry) int {
		if e.MaxLen == 0 {
			return 1 << 30
		}
		return e.MaxLen
	}
	return a.MinLen <= hi(b) && b.MinLen <= hi(a)
}

func (p *Plan) checkInherit() error {
	for ctx := range p.inherit {
		seen := map[string]bool{}
		for c := ctx; c != ""; c = p.parent(c) {
			if seen[c] {
				return planErr("contexts."+ctx, "context %q inherits from itself", ctx)
			}
			seen[c] = true
		}
	}
	return nil
}

// parent is the context consulted after ctx.
func (p *Plan) parent(ctx string) string {
	if parent, ok := p.inherit[ctx]; ok {
		return parent
	}
	if ctx == DefaultContext {
		return ""
	}
	return DefaultContext
}

// Device returns the named device.
func (p *Plan) Device(name string) (Device, bool) {
	d, ok := p.devices[name]
	return d, ok
}
