package config

import (
	"maps"
	"slices"
	"strings"

	"pbxlab/pbx/internal/services"
	"pbxlab/pbx/internal/services/abbreviated"
	"pbxlab/pbx/internal/services/authority"
	"pbxlab/pbx/internal/services/callback"
	"pbxlab/pbx/internal/services/dnd"
	"pbxlab/pbx/internal/services/emergency"
	"pbxlab/pbx/internal/services/forward"
	"pbxlab/pbx/internal/services/hold"
	"pbxlab/pbx/internal/services/hotline"
	"pbxlab/pbx/internal/services/hunt"
	"pbxlab/pbx/internal/services/intervention"
	"pbxlab/pbx/internal/services/notification"
	"pbxlab/pbx/internal/services/park"
	"pbxlab/pbx/internal/services/password"
	"pbxlab/pbx/internal/services/pickup"
	"pbxlab/pbx/internal/services/presence"
	"pbxlab/pbx/internal/services/restriction"
	"pbxlab/pbx/internal/services/secretary"
	"pbxlab/pbx/internal/services/switches"
	"pbxlab/pbx/internal/services/threeway"
	"pbxlab/pbx/internal/services/waiting"
	"pbxlab/pbx/internal/services/wakeup"
)

// Services is the "services" section: the call services' switches and
// each service's own settings (its schema lives with the service, in
// pbx/internal/services/<name>/config.go).
type Services struct {
	// Switches are the manual's srv-switch <service> {on|off}: per
	// service default, per subscriber number, per gateway prefix and per
	// office-gateway prefix. Default: every service on.
	Switches ServiceSwitches `yaml:"switches"`
	// Emergency are the emergency numbers, always routed: no service
	// (authority, restriction, DND-like services) and no switch sees them.
	// Default numbers [110, 112, 119, 120, 122, 911].
	Emergency emergency.Config `yaml:"emergency"`
	// Authority is outgoing call authority: number classes, roles,
	// members. Default none (off).
	Authority authority.Config `yaml:"authority"`
	// GroupRestriction is inter-group call restriction: groups and the
	// barred pairs. Default none (off).
	GroupRestriction restriction.Config `yaml:"group_restriction"`
	// Abbreviated is abbreviated dialling: code length and system-wide
	// codes (personal codes are set from the phone). Default digits 2, no
	// codes.
	Abbreviated abbreviated.Config `yaml:"abbreviated"`
	// Forward is call forwarding: the hop limit, the no-reply time and
	// the configured forwards per subscriber (those set from the phone
	// beat them). Default max_hops 5, no_reply_after 20s, none.
	Forward forward.Config `yaml:"forward"`
	// DND is do not disturb: the subscribers it is on for by default
	// (the phone's *56# / #56# beats it). Default none.
	DND dnd.Config `yaml:"dnd"`
	// Hunt are the hunt groups: name, own number, strategy, members, ring
	// time, overflow (pbx/internal/services/hunt). Default none.
	Hunt hunt.Config `yaml:"hunt"`
	// Waiting is call waiting: the default (on) and per subscriber
	// on|off (the phone's *58# / #58# beats both). Default on for all.
	Waiting waiting.Config `yaml:"waiting"`
	// Pickup are the pickup groups and the pickup right
	// (pbx/internal/services/pickup). Default none: nobody picks up.
	Pickup pickup.Config `yaml:"pickup"`
	// Hotline is the hotline service: the off-hook number, the delayed
	// hotline's waits and the configured lines (those set from the phone
	// beat them). Default offhook_number "hotline", delay 5s, inter_digit
	// 5s, none.
	Hotline hotline.Config `yaml:"hotline"`
	// Secretary is boss/secretary filtering: each boss's secretary,
	// allowed callers and filter default (the boss's *53# / #53# beats
	// it). Default none.
	Secretary secretary.Config `yaml:"secretary"`
	// Presence is the busy lamp field's policy (SUBSCRIBE to the dialog
	// event package, pbx/internal/services/presence): who may watch which
	// line. Default none: every subscriber may watch every line.
	Presence presence.Config `yaml:"presence"`
	// ThreeParty is the three-party call and ad-hoc conference: the
	// in-call code, the seats, what the host's hang-up does
	// (pbx/internal/services/threeway). Default code *3, max_parties 6,
	// on_host_hangup stay, digit_timeout 3s.
	ThreeParty threeway.Config `yaml:"three_party"`
	// Hold is the hold mode: relay (end to end) or pbx (the PBX answers
	// the holder's re-INVITE and plays music on hold to the held party,
	// which is not re-INVITEd), by default and per subscriber
	// (pbx/internal/services/hold). Default relay for all.
	Hold hold.Config `yaml:"hold"`
	// Intervention is call intervention (switch ci): who may intervene and
	// who is protected (pbx/internal/services/intervention). Default none:
	// nobody intervenes.
	Intervention intervention.Config `yaml:"intervention"`
	// Password are the subscribers' 4-digit call passwords
	// (pbx/internal/services/password). Default none.
	Password password.Config `yaml:"password"`
	// Notification is group notification (the manual's ch. 23): the
	// notifications, their receivers, time, access code, retries, mode
	// (pbx/internal/services/notification). Default none.
	Notification notification.Config `yaml:"notification"`
	// Wakeup is the wake-up alarm (*55*hhmm#, #55#): announcement, time
	// zone, retries (pbx/internal/services/wakeup). Default the built-in
	// tone, the host's zone, 3 retries 5 minutes apart.
	Wakeup wakeup.Config `yaml:"wakeup"`
	// Park is call park: the slots, the timeout, who may retrieve
	// (pbx/internal/services/park). Default 10 slots, 120s, anyone.
	Park park.Config `yaml:"park"`
	// Callback is call back on busy: how long a request waits
	// (pbx/internal/services/callback). Default 30m.
	Callback callback.Config `yaml:"callback"`
}

// The services' own sections, named here for code outside pbx/ (the
// feature steps, tools) that builds a Config in Go: each schema lives with
// its service.
type (
	EmergencyConfig        = emergency.Config
	AuthorityConfig        = authority.Config
	AuthorityClass         = authority.Class
	AuthorityRole          = authority.Role
	AuthorityMembers       = authority.Members
	GroupRestrictionConfig = restriction.Config
	ServiceGroup           = restriction.Group
	GroupRestriction       = restriction.Restriction
	AbbreviatedConfig      = abbreviated.Config
	ForwardConfig          = forward.Config
	Forwards               = forward.Forwards
	DNDConfig              = dnd.Config
	HuntConfig             = hunt.Config
	HuntGroup              = hunt.Group
	HuntStrategy           = hunt.Strategy
	WaitingConfig          = waiting.Config
	WaitingSetting         = waiting.Setting
	PickupConfig           = pickup.Config
	PickupGroup            = pickup.GroupConfig
	HotlineConfig          = hotline.Config
	HotlineLine            = hotline.Line
	HotlineMode            = hotline.Mode
	SecretaryConfig        = secretary.Config
	SecretaryBoss          = secretary.Boss
	SecretarySetting       = secretary.Setting
	PresenceConfig         = presence.Config
	ThreePartyConfig       = threeway.Config
	HoldConfig             = hold.Config
	HoldMode               = hold.Mode
	InterventionConfig     = intervention.Config
	PasswordConfig         = password.Config
	NotificationConfig     = notification.Config
	Notification           = notification.Notification
	NotificationMode       = notification.Mode
	WakeupConfig           = wakeup.Config
	ParkConfig             = park.Config
	CallbackConfig         = callback.Config
)

// Switch is on or off.
type Switch string

// Switch values.
const (
	SwitchOn  Switch = "on"
	SwitchOff Switch = "off"
)

// ServiceSwitches is services.switches: service name -> on|off, at each
// level. Precedence: a subscriber's setting beats a prefix's (the longest
// matching gateway or office-gateway prefix), which beats the default.
type ServiceSwitches struct {
	// Defaults are the services' defaults. Default: every service on.
	Defaults map[string]Switch `yaml:"defaults"`
	// Subscribers: subscriber number -> service -> on|off. Default none.
	Subscribers map[string]map[string]Switch `yaml:"subscribers"`
	// GatewayPrefixes (LS-GW-PREFIX) and OfficeGatewayPrefixes
	// (LS-OG-PREFIX): number prefix -> service -> on|off; a prefix set on
	// in one and off in the other is a contradiction. Default none.
	GatewayPrefixes       map[string]map[string]Switch `yaml:"gateway_prefixes"`
	OfficeGatewayPrefixes map[string]map[string]Switch `yaml:"office_gateway_prefixes"`
}

// defaultServices is the services section's defaults.
func defaultServices() Services {
	return Services{Emergency: emergency.Config{Numbers: emergency.DefaultNumbers()}}
}

// SwitchesConfig converts services.switches for switches.New.
func (s ServiceSwitches) SwitchesConfig() switches.Config {
	one := func(m map[string]Switch) map[string]bool {
		out := make(map[string]bool, len(m))
		for k, v := range m {
			out[k] = v == SwitchOn
		}
		return out
	}
	two := func(m map[string]map[string]Switch) map[string]map[string]bool {
		out := make(map[string]map[string]bool, len(m))
		for k, v := range m {
			out[k] = one(v)
		}
		return out
	}
	return switches.Config{Defaults: one(s.Defaults), Subscribers: two(s.Subscribers),
		GatewayPrefixes: two(s.GatewayPrefixes), OfficeGatewayPrefixes: two(s.OfficeGatewayPrefixes)}
}

// services checks the services section: the switches here, each
// service's section by the service's own Check, its problems at their
// field paths.
func (v *validator) services() {
	sv := v.c.Services
	v.switches(sv.Switches)
	v.huntGroups()
	v.pickupNumbers()
	v.hotlineSecretaryNumbers()
	v.presenceNumbers()
	v.holdSubscribers() // services_hold.go
	v.interventionNumbers()
	v.notificationNumbers()
	for _, sec := range []struct {
		path string
		ps   services.Problems
	}{
		{"services.emergency", sv.Emergency.Check()},
		{"services.authority", sv.Authority.Check()},
		{"services.group_restriction", sv.GroupRestriction.Check()},
		{"services.abbreviated", sv.Abbreviated.Check()},
		{"services.forward", sv.Forward.Check()},
		{"services.dnd", sv.DND.Check()},
		{"services.hunt", sv.Hunt.Check()},
		{"services.waiting", sv.Waiting.Check()},
		{"services.pickup", sv.Pickup.Check()},
		{"services.hotline", sv.Hotline.Check()},
		{"services.secretary", sv.Secretary.Check()},
		{"services.presence", sv.Presence.Check()},
		{"services.three_party", sv.ThreeParty.Check()},
		{"services.hold", sv.Hold.Check()},
		{"services.intervention", sv.Intervention.Check()},
		{"services.password", sv.Password.Check()},
		{"services.notification", sv.Notification.Check()},
		{"services.wakeup", sv.Wakeup.Check()},
		{"services.park", sv.Park.Check()},
		{"services.callback", sv.Callback.Check()},
	} {
		for _, p := range sec.ps {
			v.errorf(sec.path+"."+p.Field, "%s", p.Msg)
		}
	}
}

func (v *validator) switches(sw ServiceSwitches) {
	known := services.Names()
	set := func(path string, m map[string]Switch) {
		for _, svc := range slices.Sorted(maps.Keys(m)) {
			p := path + "." + svc
			if !slices.Contains(known, svc) {
				v.errorf(p, "unknown service %q (want one of %s)", svc, strings.Join(known, ", "))
			}
			if s := m[svc]; s != SwitchOn && s != SwitchOff {
				v.errorf(p, "%q: want on or off", s)
			}
		}
	}
	set("services.switches.defaults", sw.Defaults)
	v.serviceSubscribers()
	var subs map[string]bool
	if len(sw.Subscribers) > 0 {
		subs = map[string]bool{}
		for _, s := range v.c.Subscribers() {
			subs[s.Number] = true
		}
	}
	for _, n := range slices.Sorted(maps.Keys(sw.Subscribers)) {
		p := "services.switches.subscribers." + n
		if !subs[n] {
			v.errorf(p, "%q is not a subscriber", n)
		}
		set(p, sw.Subscribers[n])
	}
	for _, lvl := range []struct {
		path string
		m    map[string]map[string]Switch
	}{{"services.switches.gateway_prefixes", sw.GatewayPrefixes}, {"services.switches.office_gateway_prefixes", sw.OfficeGatewayPrefixes}} {
		for _, pfx := range slices.Sorted(maps.Keys(lvl.m)) {
			p := lvl.path + "." + pfx
			if pfx == "" || strings.Trim(pfx, "0123456789") != "" {
				v.errorf(p, "%q: want a number prefix (digits)", pfx)
			}
			set(p, lvl.m[pfx])
		}
	}
	for _, pfx := range slices.Sorted(maps.Keys(sw.OfficeGatewayPrefixes)) {
		for _, svc := range slices.Sorted(maps.Keys(sw.OfficeGatewayPrefixes[pfx])) {
			if gw, ok := sw.GatewayPrefixes[pfx][svc]; ok && gw != sw.OfficeGatewayPrefixes[pfx][svc] {
				v.errorf("services.switches.office_gateway_prefixes."+pfx+"."+svc, "%s here, %s as a gateway prefix: contradictory", sw.OfficeGatewayPrefixes[pfx][svc], gw)
			}
		}
	}
}

// ServiceSwitchNames lists the services services.switches knows.
func ServiceSwitchNames() []string { return services.Names() }
