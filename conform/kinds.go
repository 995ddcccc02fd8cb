package conform

import "slices"

// Kind is a kind of target: what it must be able to do and the scenarios
// that must run against it whatever the tags say.
type Kind struct {
	Name        string
	Description string
	// Requires are the capabilities a profile of this kind must offer.
	Requires []string
	// MustRun are the IDs (features.Scenario.ID) of the scenarios every
	// run against this kind includes: the profile's capabilities and
	// --tags cannot drop them, and a run in which one does not pass
	// fails.
	MustRun []string
}

// Kinds returns the target kinds.
func Kinds() []Kind {
	registrarAndCalls := []string{
		"registration/register.feature / A registered phone can be called",
		"calls/basic.feature / An answered call has two-way audio and the caller hangs up",
		"calls/basic.feature / The callee hangs up",
		"calls/unsuccessful.feature / A busy callee",
		"calls/unsuccessful.feature / The caller gives up while the callee rings",
		"calls/protocol.feature / An INVITE with Max-Forwards 0 is refused with 483",
		"calls/protocol.feature / An INVITE without credentials is challenged with 407",
	}
	return []Kind{
		{
			Name:        "pbx",
			Description: "an IP PBX: registrar with digest authentication, call processing between subscribers, a numbering plan",
			Requires:    []string{"registrar", "calls", "auth", "numbering"},
			MustRun: append(slices.Clone(registrarAndCalls),
				"registration/register.feature / A wrong password is refused and leaves the phone unregistered",
				"registration/unregister.feature / A phone unregisters with Expires 0",
				"registration/unregister.feature / Contact * removes the bindings of every device of the number",
				"calls/unsuccessful.feature / A number that is not assigned",
				"calls/unsuccessful.feature / A subscriber that is not registered",
			),
		},
		{
			Name:        "proxy-registrar",
			Description: "a SIP proxy with a registrar and digest authentication (e.g. Kamailio, OpenSIPS): no call logic of its own",
			Requires:    []string{"registrar", "calls", "auth"},
			MustRun:     registrarAndCalls,
		},
	}
}

// KindNames lists the kinds' names.
func KindNames() []string {
	var out []string
	for _, k := range Kinds() {
		out = append(out, k.Name)
	}
	return out
}

// KindByName returns the kind called name.
func KindByName(name string) (Kind, bool) {
	for _, k := range Kinds() {
		if k.Name == name {
			return k, true
		}
	}
	return Kind{}, false
}
