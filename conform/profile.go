package conform

import (
	"errors"
	"fmt"
	"os"
	"pbxlab/internal/yamlx"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"pbxlab/conformance"
)

// Limits of a profile.
const (
	// MaxSubscribers bounds the subscribers a profile expands to.
	MaxSubscribers = 100_000
	// MinSubscribers is what the scenarios need: two phones at least.
	MinSubscribers = 2
	maxProfileSize = 1 << 20
)

// Profile says what a target offers: its kind, its subscribers and their
// credentials, its capabilities (the features' @cap- tags), its service
// numbers and feature codes, and which torture-message expectations apply.
// The YAML schema is conform/README.md's; ParseProfile decodes it strictly.
type Profile struct {
	// File is where the profile was read from (for messages).
	File string
	// Name names the target in reports ("kamailio").
	Name string
	// Kind is a target kind (Kinds): "pbx" or "proxy-registrar".
	Kind string
	// Description is free text for reports.
	Description string
	// Transport is the default transport, "udp" or "tcp" (default udp).
	Transport string
	// Domain is the SIP domain of the subscribers' addresses of record;
	// "" uses the target's host.
	Domain string
	// Subscribers are explicit subscribers, SubscriberRanges ranges of
	// them; Numbers and Password expand both.
	Subscribers      []Subscriber
	SubscriberRanges []SubscriberRange
	// UnassignedNumber is a number that is no subscriber; "" lets the
	// scenarios use "00000000".
	UnassignedNumber string
	// Capabilities are the capabilities the target offers, without
	// "@cap-" ("registrar", "calls", ...).
	Capabilities []string
	// Services are the numbers of the target's services by name
	// (KnownServices); no scenario dials them yet.
	Services map[string]string
	// FeatureCodes are the target's feature codes by name
	// ("forward-unconditional": "*72"); no scenario uses them yet.
	FeatureCodes map[string]string
	// Torture says how the torture messages are judged.
	Torture TortureProfile

	lines map[string]int // field path -> line, for validation messages
}

// Subscriber is one subscriber and its digest credentials.
type Subscriber struct {
	Number   string
	Password string
}

// SubscriberRange is a range of numbers (digits, inclusive); "{n}" in
// Password is replaced by the number.
type SubscriberRange struct {
	From, To, Password string
}

// TortureProfile selects the torture expectations.
type TortureProfile struct {
	// Expectations is a conformance table name: "rfc" (default: what the
	// RFCs ask) or "pbxlab" (pbxlab's answers with its documented
	// deviations).
	Expectations string
}

// KnownCapabilities are the capability tags of features/README.md
// (without "@cap-"); "service-NAME" is accepted for any NAME.
func KnownCapabilities() []string {
	return []string{"registrar", "calls", "auth", "b2bua", "redirect", "early-media", "forking", "nat", "numbering", "media", "prompts", "moh", "ivr", "voicemail", "trunks", "digest-uri", "100rel", "admin-api", "golden-flows"}
}

// KnownServices are the service names a profile may give numbers for.
func KnownServices() []string { return []string{"ivr", "voicemail", "conference"} }

var (
	nameRE     = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)
	numberRE   = regexp.MustCompile(`^[A-Za-z0-9+._*#-]{1,32}$`)
	digitsRE   = regexp.MustCompile(`^[0-9]{1,18}$`)
	codeRE     = regexp.MustCompile(`^[0-9*#]{1,16}$`)
	codeNameRE = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	serviceRE  = regexp.MustCompile(`^service-[a-z0-9]+(-[a-z0-9]+)*$`)
	domainRE   = regexp.MustCompile(`^[A-Za-z0-9.:\[\]-]{1,255}$`)
)

// LoadProfile reads and validates the profile at path.
func LoadProfile(path string) (*Profile, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("load profile %s: %w", path, err)
	}
	if st.Size() > maxProfileSize {
		return nil, &ProfileError{File: path, Msg: fmt.Sprintf("%d bytes: a profile is at most %d", st.Size(), maxProfileSize)}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load profile %s: %w", path, err)
	}
	return ParseProfile(path, data)
}

// ParseProfile decodes a profile (YAML) strictly and validates it: an
// unknown key, a value of the wrong type, a missing or bad field, a
// subscriber without a password, a duplicate number, an unknown
// capability or a kind whose required capabilities are missing is an
// error naming file, line and field. All problems are returned together
// (errors.Join of *ProfileError).
func ParseProfile(name string, data []byte) (*Profile, error) {
	if len(data) > maxProfileSize {
		return nil, &ProfileError{File: name, Msg: fmt.Sprintf("%d bytes: a profile is at most %d", len(data), maxProfileSize)}
	}
	p := &Profile{File: name, lines: map[string]int{}}
	d := &decoder{file: name, lines: p.lines}
	root, err := yamlx.Parse(data)
	if err != nil {
		return nil, d.yamlError(err)
	}
	if root == nil {
		return nil, &ProfileError{File: name, Msg: "empty profile: name, kind, subscribers and capabilities are required"}
	}
	d.profile(root, p)
	if len(d.errs) == 0 {
		p.validate(d)
	}
	if len(d.errs) > 0 {
		sortByLine(d.errs)
		return nil, errors.Join(d.errs...)
	}
	if p.Transport == "" {
		p.Transport = "udp"
	}
	if p.Torture.Expectations == "" {
		p.Torture.Expectations = conformance.TableRFC
	}
	return p, nil
}

// validate checks the decoded profile; problems go to d.
func (p *Profile) validate(d *decoder) {
	bad := func(field, format string, args ...any) { d.errorf(p.lineOf(field), field, format, args...) }
	switch {
	case p.Name == "":
		bad("name", "missing: name the target (e.g. kamailio)")
	case !nameRE.MatchString(p.Name):
		bad("name", "%q: want lower-case letters, digits, '.', '_' or '-', at most 64", p.Name)
	}
	kind, kindOK := KindByName(p.Kind)
	switch {
	case p.Kind == "":
		bad("kind", "missing: want one of %s", strings.Join(KindNames(), ", "))
	case !kindOK:
		bad("kind", "unknown kind %q: want one of %s", p.Kind, strings.Join(KindNames(), ", "))
	}
	if p.Transport != "" && p.Transport != "udp" && p.Transport != "tcp" {
		bad("transport", "%q: want udp or tcp", p.Transport)
	}
	if p.Domain != "" && !domainRE.MatchString(p.Domain) {
		bad("domain", "%q is not a host name or address", p.Domain)
	}
	p.validateSubscribers(d)
	if p.UnassignedNumber != "" && !numberRE.MatchString(p.UnassignedNumber) {
		bad("unassigned_number", "%q: want 1 to 32 of letters, digits, + . _ * # -", p.UnassignedNumber)
	}
	if len(p.Capabilities) == 0 {
		bad("capabilities", "missing: list what the target offers, e.g. [registrar, calls, auth]")
	}
	seen := map[string]bool{}
	for i, c := range p.Capabilities {
		field := fmt.Sprintf("capabilities[%d]", i)
		switch {
		case seen[c]:
			bad(field, "%q listed twice", c)
		case !slices.Contains(KnownCapabilities(), c) && !serviceRE.MatchString(c):
			hint := ""
			if s := yamlx.Suggest(c, KnownCapabilities()); s != "" {
				hint = fmt.Sprintf(" (did you mean %q?)", s)
			}
			bad(field, "unknown capability %q%s: want one of %s or service-NAME", c, hint, strings.Join(KnownCapabilities(), ", "))
		}
		seen[c] = true
	}
	if kindOK {
		for _, need := range kind.Requires {
			if !seen[need] && len(p.Capabilities) > 0 {
				bad("capabilities", "a %s target must offer %q (its must-run scenarios need it)", kind.Name, need)
			}
		}
	}
	for _, k := range sortedKeys(p.Services) {
		field := "services." + k
		switch v := p.Services[k]; {
		case !slices.Contains(KnownServices(), k):
			bad(field, "unknown service %q: want %s", k, strings.Join(KnownServices(), ", "))
		case !numberRE.MatchString(v):
			bad(field, "%q is not a number", v)
		}
	}
	for _, k := range sortedKeys(p.FeatureCodes) {
		field := "feature_codes." + k
		switch v := p.FeatureCodes[k]; {
		case !codeNameRE.MatchString(k):
			bad(field, "feature code name %q: want lower-case words joined by '-'", k)
		case !codeRE.MatchString(v):
			bad(field, "%q: a feature code is 1 to 16 of 0-9, * and #", v)
		}
	}
	if e := p.Torture.Expectations; e != "" && !slices.Contains(conformance.TableNames(), e) {
		bad("torture.expectations", "%q: want %s", e, strings.Join(conformance.TableNames(), " or "))
	}
}

// validateSubscribers checks credentials, ranges and duplicates.
func (p *Profile) validateSubscribers(d *decoder) {
	bad := func(field, format string, args ...any) { d.errorf(p.lineOf(field), field, format, args...) }
	before := len(d.errs)
	if len(p.Subscribers) == 0 && len(p.SubscriberRanges) == 0 {
		bad("subscribers", "missing: the scenarios need at least %d subscribers with their passwords (subscribers or subscriber_ranges)", MinSubscribers)
		return
	}
	where := map[string]string{} // number -> field that defines it
	claim := func(num, field string) {
		if first, dup := where[num]; dup {
			bad(field, "number %s is already defined by %s (line %d)", num, first, p.lines[first])
			return
		}
		where[num] = field
	}
	for i, s := range p.Subscribers {
		field := fmt.Sprintf("subscribers[%d]", i)
		switch {
		case s.Number == "":
			bad(field+".number", "missing")
		case !numberRE.MatchString(s.Number):
			bad(field+".number", "%q: want 1 to 32 of letters, digits, + . _ * # -", s.Number)
		default:
			claim(s.Number, field)
		}
		if s.Password == "" {
			bad(field+".password", "missing: every subscriber needs its digest password")
		}
	}
	total := len(p.Subscribers)
	for i, r := range p.SubscriberRanges {
		field := fmt.Sprintf("subscriber_ranges[%d]", i)
		lo, hi, ok := rangeBounds(r)
		switch {
		case !digitsRE.MatchString(r.From):
			bad(field+".from", "%q: want 1 to 18 digits", r.From)
		case !digitsRE.MatchString(r.To):
			bad(field+".to", "%q: want 1 to 18 digits", r.To)
		case !ok:
			bad(field, "from %s is above to %s", r.From, r.To)
		case hi-lo >= MaxSubscribers || total+int(hi-lo+1) > MaxSubscribers:
			bad(field, "%s-%s: more than %d subscribers in the profile", r.From, r.To, MaxSubscribers)
		default:
			total += int(hi - lo + 1)
			for n := lo; n <= hi; n++ {
				claim(padNumber(n, len(r.From)), field)
			}
		}
		if r.Password == "" {
			bad(field+".password", "missing: every subscriber needs its digest password (\"{n}\" stands for the number)")
		}
	}
	if len(d.errs) == before && total < MinSubscribers {
		bad("subscribers", "%d subscriber(s): the scenarios need at least %d", total, MinSubscribers)
	}
	if p.UnassignedNumber != "" {
		if f, dup := where[p.UnassignedNumber]; dup {
			bad("unassigned_number", "%s is a subscriber (%s): name a number that is none", p.UnassignedNumber, f)
		}
	}
	for _, k := range sortedKeys(p.Services) {
		if f, dup := where[p.Services[k]]; dup {
			bad("services."+k, "%s is a subscriber (%s)", p.Services[k], f)
		}
	}
}

// lineOf returns the line of field, or of the nearest enclosing field
// that has one (a missing key is reported at its mapping's line).
func (p *Profile) lineOf(field string) int {
	for field != "" {
		if l, ok := p.lines[field]; ok {
			return l
		}
		i := strings.LastIndexAny(field, ".[")
		if i < 0 {
			return 0
		}
		field = field[:i]
	}
	return 0
}

// Numbers returns every subscriber number: the explicit ones, then the
// ranges expanded.
func (p *Profile) Numbers() []string {
	var out []string
	for _, s := range p.Subscribers {
		out = append(out, s.Number)
	}
	for _, r := range p.SubscriberRanges {
		lo, hi, ok := rangeBounds(r)
		for n := lo; ok && n <= hi && len(out) < MaxSubscribers; n++ {
			out = append(out, padNumber(n, len(r.From)))
		}
	}
	return out
}

// Password returns the password of number ("" if it is no subscriber).
func (p *Profile) Password(number string) string {
	for _, s := range p.Subscribers {
		if s.Number == number {
			return s.Password
		}
	}
	for _, r := range p.SubscriberRanges {
		lo, hi, ok := rangeBounds(r)
		if !ok || len(number) != len(r.From) || !digitsRE.MatchString(number) {
			continue
		}
		if n, err := strconv.ParseUint(number, 10, 64); err == nil && n >= lo && n <= hi {
			return strings.ReplaceAll(r.Password, "{n}", number)
		}
	}
	return ""
}

// Offers reports whether the profile lists capability c.
func (p *Profile) Offers(c string) bool { return slices.Contains(p.Capabilities, c) }

func rangeBounds(r SubscriberRange) (lo, hi uint64, ok bool) {
	lo, err1 := strconv.ParseUint(r.From, 10, 64)
	hi, err2 := strconv.ParseUint(r.To, 10, 64)
	return lo, hi, err1 == nil && err2 == nil && digitsRE.MatchString(r.From) && digitsRE.MatchString(r.To) && lo <= hi
}

func padNumber(n uint64, width int) string {
	s := strconv.FormatUint(n, 10)
	if len(s) < width {
		s = strings.Repeat("0", width-len(s)) + s
	}
	return s
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
