package config

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/emiago/sipgo/sip"
)

const (
	maxNumberDigits = 32 // explicit subscriber numbers
	maxRangeDigits  = 18 // range bounds, so that they fit a uint64
)

// Subscribers returns every subscriber: the explicit ones first, then each
// range expanded in order, "{n}" in the range password replaced by the
// number. Realm is resolved to the default realm's name when empty; Redirect
// is left as configured (see RedirectFor). Ranges are cheap to expand: a
// range of 100,000 numbers is fine (a few MB). Call it on a validated Config;
// an invalid range is skipped and the result never exceeds MaxSubscribers.
func (c *Config) Subscribers() []Subscriber {
	total := len(c.ExplicitSubscribers)
	for _, r := range c.SubscriberRanges {
		if lo, hi, ok := rangeBounds(r); ok && total < MaxSubscribers {
			total += int(min(hi-lo, MaxSubscribers-1) + 1)
		}
	}
	total = min(total, MaxSubscribers)
	realm := c.DefaultRealm().Name
	out := make([]Subscriber, 0, total)
	for _, s := range c.ExplicitSubscribers {
		if len(out) == total {
			return out
		}
		s.Contacts = slices.Clone(s.Contacts)
		if s.Realm == "" {
			s.Realm = realm
		}
		out = append(out, s)
	}
	for _, r := range c.SubscriberRanges {
		lo, hi, ok := rangeBounds(r)
		if !ok {
			continue
		}
		width := len(r.From)
		for n := lo; n <= hi && len(out) < total; n++ {
			num := padNumber(n, width)
			out = append(out, Subscriber{
				Number:   num,
				Password: strings.ReplaceAll(r.Password, "{n}", num),
				Realm:    realm,
			})
		}
	}
	return out
}

// RedirectFor returns the redirect role in effect for s: its own Redirect,
// or call.redirect when it has none.
func (c *Config) RedirectFor(s Subscriber) Redirect {
	if s.Redirect != RedirectInherit {
		return s.Redirect
	}
	return c.Call.Redirect
}

// padNumber formats n with leading zeros to width digits.
func padNumber(n uint64, width int) string {
	s := strconv.FormatUint(n, 10)
	if len(s) < width {
		s = strings.Repeat("0", width-len(s)) + s
	}
	return s
}

// rangeBounds parses a range, ok only if it is well formed.
func rangeBounds(r SubscriberRange) (lo, hi uint64, ok bool) {
	if len(r.From) != len(r.To) || len(r.From) > maxRangeDigits || !isDigits(r.From) || !isDigits(r.To) {
		return 0, 0, false
	}
	lo, err1 := strconv.ParseUint(r.From, 10, 64)
	hi, err2 := strconv.ParseUint(r.To, 10, 64)
	if err1 != nil || err2 != nil || lo > hi {
		return 0, 0, false
	}
	return lo, hi, true
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// validRange is a well-formed range with its index in subscriber_ranges.
type validRange struct {
	idx    int
	lo, hi uint64
	width  int
}

func (v *validator) subscribers() {
	c := v.c
	var total uint64
	ranges := make([]validRange, 0, len(c.SubscriberRanges))
	for i, r := range c.SubscriberRanges {
		p := fmt.Sprintf("subscriber_ranges[%d]", i)
		ok := v.rangeBound(p+".from", r.From)
		ok = v.rangeBound(p+".to", r.To) && ok
		if r.Password == "" {
			v.errorf(p+".password", "password is required (\"{n}\" is replaced by the number)")
		}
		if !ok {
			continue
		}
		if len(r.From) != len(r.To) {
			v.errorf(v.inSource(p+".to", p), "from %q and to %q must have the same number of digits", r.From, r.To)
			continue
		}
		lo, hi, ok := rangeBounds(r)
		if !ok {
			v.errorf(v.inSource(p+".to", p), "from %q is greater than to %q", r.From, r.To)
			continue
		}
		ranges = append(ranges, validRange{idx: i, lo: lo, hi: hi, width: len(r.From)})
		if total <= MaxSubscribers {
			total += min(hi-lo+1, MaxSubscribers+1)
		}
	}
	// Ranges may not overlap: sort by (width, from) and compare each with
	// the furthest-reaching earlier range of the same width.
	slices.SortFunc(ranges, func(a, b validRange) int {
		return cmp.Or(cmp.Compare(a.width, b.width), cmp.Compare(a.lo, b.lo), cmp.Compare(a.idx, b.idx))
	})
	for i, reach := 1, 0; i < len(ranges); i++ {
		prev, cur := ranges[reach], ranges[i]
		if prev.width == cur.width && cur.lo <= prev.hi {
			later, earlier := cur, prev
			if later.idx < earlier.idx {
				later, earlier = earlier, later
			}
			v.errorf(fmt.Sprintf("subscriber_ranges[%d]", later.idx), "%s overlaps subscriber_ranges[%d] (%s)",
				c.rangeText(later.idx), earlier.idx, c.rangeText(earlier.idx))
		}
		if prev.width != cur.width || cur.hi > prev.hi {
			reach = i
		}
	}

	numbers := map[string]int{}
	for i, s := range c.ExplicitSubscribers {
		p := fmt.Sprintf("subscribers[%d]", i)
		switch {
		case s.Number == "":
			v.errorf(p+".number", "number is required")
		case !isDigits(s.Number):
			v.errorf(p+".number", "number %q must be digits only", s.Number)
		case len(s.Number) > maxNumberDigits:
			v.errorf(p+".number", "number %q is longer than %d digits", s.Number, maxNumberDigits)
		default:
			if j, dup := numbers[s.Number]; dup {
				v.errorf(p+".number", "duplicate number %q (also subscribers[%d])", s.Number, j)
			} else if ri, in := findRange(ranges, s.Number); in {
				v.errorf(p+".number", "number %q is also in subscriber_ranges[%d] (%s)", s.Number, ri, c.rangeText(ri))
			}
			numbers[s.Number] = i
		}
		if s.Password == "" && len(s.Contacts) == 0 {
			v.errorf(v.inSource(p+".password", p), "a password is required unless static contacts are given")
		}
		if s.Realm != "" {
			if _, ok := c.LookupRealm(s.Realm); !ok {
				v.errorf(p+".realm", "unknown realm %q (not in auth.realms)", s.Realm)
			}
		}
		if s.Redirect != RedirectInherit && s.Redirect != RedirectOff && s.Redirect.StatusCode() == 0 {
			v.errorf(p+".redirect", "unknown redirect %q (want \"\", off, 301 or 302)", s.Redirect)
		}
		v.mediaAnchor(p+".media_anchor", s.MediaAnchor)
		if d := s.DigestURI; d != "" && d != DigestURIStrict && d != DigestURIHost {
			v.errorf(p+".digest_uri", "unknown check %q (want \"\", strict or host)", d)
		}
		for j, contact := range s.Contacts {
			if msg := checkContact(contact); msg != "" {
				v.errorf(fmt.Sprintf("%s.contacts[%d]", p, j), "%s", msg)
			}
		}
		v.text(p+".display_name", s.DisplayName)
	}
	if total+uint64(len(c.ExplicitSubscribers)) > MaxSubscribers {
		v.errorf(v.inSource("subscriber_ranges", "subscribers"), "too many subscribers (more than %d)", MaxSubscribers)
	}
}

func (c *Config) rangeText(i int) string {
	r := c.SubscriberRanges[i]
	return r.From + "-" + r.To
}

// rangeBound checks one end of a range.
func (v *validator) rangeBound(path, s string) bool {
	switch {
	case s == "":
		v.errorf(path, "number is required")
	case !isDigits(s):
		v.errorf(path, "number %q must be digits only", s)
	case len(s) > maxRangeDigits:
		v.errorf(path, "number %q is longer than %d digits", s, maxRangeDigits)
	default:
		return true
	}
	return false
}

// findRange reports the index (in subscriber_ranges) of a range holding
// number. ranges is sorted by (width, lo).
func findRange(ranges []validRange, number string) (int, bool) {
	if len(number) > maxRangeDigits {
		return 0, false
	}
	n, err := strconv.ParseUint(number, 10, 64)
	if err != nil {
		return 0, false
	}
	w := len(number)
	// The last range starting at or below number is the only one that can
	// hold it (overlaps are reported separately).
	i, _ := slices.BinarySearchFunc(ranges, validRange{width: w, lo: n + 1}, func(a, b validRange) int {
		return cmp.Or(cmp.Compare(a.width, b.width), cmp.Compare(a.lo, b.lo))
	})
	if i > 0 {
		if r := ranges[i-1]; r.width == w && r.lo <= n && n <= r.hi {
			return r.idx, true
		}
	}
	return 0, false
}

// checkContact validates a static contact, "" if fine.
func checkContact(s string) string {
	if s == "" {
		return "contact is empty"
	}
	if hasControl(s) || strings.ContainsAny(s, " \t<>\"") {
		return fmt.Sprintf("contact %q may not contain spaces, control characters, quotes or angle brackets", s)
	}
	if len(s) < 4 || !strings.EqualFold(s[:4], "sip:") {
		return fmt.Sprintf("contact %q must be a sip: URI", s)
	}
	var u sip.Uri
	if err := sip.ParseUri(s, &u); err != nil {
		return fmt.Sprintf("contact %q is not a valid SIP URI: %v", s, err)
	}
	if u.Host == "" || u.Wildcard {
		return fmt.Sprintf("contact %q has no host", s)
	}
	return ""
}
