package numbering

import "strings"

// Location is where a device or a subscriber is: a country code and an
// area code, written without prefixes ("86", "10").
type Location struct {
	Country string
	Area    string
}

// Form is how a dialled number is written relative to its caller.
type Form int

// Forms of a dialled number.
const (
	// Local: the subscriber number alone, in the caller's own area.
	Local Form = iota + 1
	// National: national prefix + area code + subscriber number, in the
	// caller's country.
	National
	// International: international prefix + country code + area code +
	// subscriber number.
	International
)

func (f Form) String() string {
	switch f {
	case Local:
		return "local"
	case National:
		return "national"
	case International:
		return "international"
	}
	return "unknown"
}

// Located is a dialled number read in its caller's location: where it
// points and the subscriber number there.
type Located struct {
	Location Location
	Number   string // the subscriber number within Location
	Form     Form
}

// locate reads dialled as the caller at from would mean it (the manual's
// Table 1-1 follows: a local number is always in the caller's own area, a
// national one in the caller's country, so a caller who shares nothing with
// the callee reaches it only by the international form). The area and
// country codes are the longest the plan knows; an unknown one leaves the
// number local.
func (p *Plan) locate(from Location, dialled string) Located {
	if ip := p.InternationalPrefix; ip != "" && strings.HasPrefix(dialled, ip) {
		rest := dialled[len(ip):]
		if loc, n, ok := p.longestLocation(rest, ""); ok {
			return Located{Location: loc, Number: n, Form: International}
		}
	}
	if np := p.NationalPrefix; np != "" && strings.HasPrefix(dialled, np) && (p.InternationalPrefix == "" || !strings.HasPrefix(dialled, p.InternationalPrefix)) {
		rest := dialled[len(np):]
		if loc, n, ok := p.longestLocation(rest, from.Country); ok {
			return Located{Location: loc, Number: n, Form: National}
		}
	}
	return Located{Location: from, Number: dialled, Form: Local}
}

// longestLocation finds the known location whose codes (country+area, or
// area alone within country when country is set) are the longest prefix of
// s, and the rest of s.
func (p *Plan) longestLocation(s, country string) (Location, string, bool) {
	var best Location
	bestLen := -1
	for _, loc := range p.locations {
		code := loc.Country + loc.Area
		if country != "" {
			if loc.Country != country {
				continue
			}
			code = loc.Area
		}
		if code == "" || len(code) <= bestLen || !strings.HasPrefix(s, code) || len(s) == len(code) {
			continue
		}
		best, bestLen = loc, len(code)
	}
	if bestLen < 0 {
		return Location{}, "", false
	}
	return best, s[bestLen:], true
}

// Present is the manual's Table 1-2: the calling number (the subscriber
// number of a caller inside the LS domain at from) as the callee at to
// sees it. A caller outside the LS domain gets no location-based
// substitution: pass inDomain false and number comes back unchanged.
func (p *Plan) Present(number string, from, to Location, inDomain bool) string {
	switch {
	case !inDomain:
		return number
	case from == to:
		return number
	case from.Country == to.Country:
		return p.NationalPrefix + from.Area + number
	default:
		return p.InternationalPrefix + from.Country + from.Area + number
	}
}
