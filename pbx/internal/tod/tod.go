// Package tod is time-of-day conditions for routes, in the spirit of
// Asterisk's GotoIfTime and FreeSWITCH's wday/time-of-day conditions: days
// of the week and HH:MM-HH:MM ranges of local time in a named time zone.
//
// Days and times are separate conditions on the local time, as in both
// of those: "22:00-06:00" on [mon] matches Monday 00:00-06:00 and Monday
// 22:00-24:00, not Tuesday morning. Ranges are half-open at minute
// resolution: 08:00-12:00 holds 08:00:00 up to 11:59:59, so 08:00-12:00
// and 12:00-18:00 abut without overlapping; 24:00 ends a range at midnight.
package tod

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// minutesPerDay is the resolution of a schedule: one bit a minute.
const minutesPerDay = 24 * 60

// Spec is a schedule as a configuration writes it.
type Spec struct {
	// Zone is an IANA time zone name (Europe/Berlin); "" is UTC.
	Zone string
	// Days are "mon" ... "sun" or ranges of them ("mon-fri", "fri-mon"
	// wraps); none: every day.
	Days []string
	// Times are "HH:MM-HH:MM" ranges of local time; none: all day. A
	// range whose end is before its start crosses midnight.
	Times []string
}

// Error is a problem with one field of a Spec: "time_zone", "days[i]"
// or "times[i]".
type Error struct {
	Field string
	Msg   string
}

func (e *Error) Error() string { return e.Field + ": " + e.Msg }

// Schedule is a parsed Spec.
type Schedule struct {
	loc  *time.Location
	days [7]bool // by time.Weekday
	mins [minutesPerDay]bool
}

var dayNames = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

// Parse checks and compiles s. The zone is loaded with time.LoadLocation
// (the binary embeds time/tzdata, so it needs no zoneinfo on the host).
func Parse(s Spec) (*Schedule, error) {
	sc := &Schedule{loc: time.UTC}
	if s.Zone != "" {
		loc, err := time.LoadLocation(s.Zone)
		if err != nil || strings.EqualFold(s.Zone, "local") {
			return nil, &Error{Field: "time_zone", Msg: fmt.Sprintf("unknown time zone %q (an IANA name such as Europe/Berlin)", s.Zone)}
		}
		sc.loc = loc
	}
	if len(s.Days) == 0 {
		sc.days = [7]bool{true, true, true, true, true, true, true}
	}
	for i, d := range s.Days {
		from, to, err := dayRange(d)
		if err != nil {
			return nil, &Error{Field: fmt.Sprintf("days[%d]", i), Msg: err.Error()}
		}
		for w := from; ; w = (w + 1) % 7 {
			sc.days[w] = true
			if w == to {
				break
			}
		}
	}
	if len(s.Times) == 0 {
		for m := range sc.mins {
			sc.mins[m] = true
		}
	}
	for i, t := range s.Times {
		from, to, err := timeRange(t)
		if err != nil {
			return nil, &Error{Field: fmt.Sprintf("times[%d]", i), Msg: err.Error()}
		}
		for m := from; m != to; m = (m + 1) % minutesPerDay {
			sc.mins[m] = true
			if to == minutesPerDay && m == minutesPerDay-1 {
				break
			}
		}
	}
	return sc, nil
}

// dayRange parses "mon" or "mon-fri".
func dayRange(s string) (from, to time.Weekday, err error) {
	a, b, isRange := strings.Cut(strings.ToLower(strings.TrimSpace(s)), "-")
	from, ok := dayNames[strings.TrimSpace(a)]
	if !isRange {
		b = a
	}
	to, ok2 := dayNames[strings.TrimSpace(b)]
	if !ok || !ok2 {
		return 0, 0, fmt.Errorf("%q: want a day (mon, tue, wed, thu, fri, sat, sun) or a range of them (mon-fri)", s)
	}
	return from, to, nil
}

// timeRange parses "HH:MM-HH:MM" into minutes of the day; to may be
// minutesPerDay (24:00).
func timeRange(s string) (from, to int, err error) {
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return 0, 0, fmt.Errorf("%q: want HH:MM-HH:MM", s)
	}
	from, err1 := clockMinute(a, false)
	to, err2 := clockMinute(b, true)
	switch {
	case err1 != nil:
		return 0, 0, fmt.Errorf("%q: start %w", s, err1)
	case err2 != nil:
		return 0, 0, fmt.Errorf("%q: end %w", s, err2)
	case from == to:
		return 0, 0, fmt.Errorf("%q: an empty range never matches (all day: 00:00-24:00)", s)
	}
	return from, to, nil
}

// clockMinute parses "HH:MM"; "24:00" only as an end.
func clockMinute(s string, end bool) (int, error) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok || len(h) == 0 || len(h) > 2 || len(m) != 2 {
		return 0, fmt.Errorf("%q is not HH:MM", s)
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || hh < 0 || mm < 0 || mm > 59 || hh > 24 || hh == 24 && (mm != 0 || !end) {
		return 0, fmt.Errorf("%q is not a time of day (00:00-23:59, 24:00 as an end)", s)
	}
	return hh*60 + mm, nil
}

// Match reports whether t, read in the schedule's zone, falls on one of
// its days and in one of its ranges.
func (s *Schedule) Match(t time.Time) bool {
	lt := t.In(s.loc)
	return s.days[lt.Weekday()] && s.mins[lt.Hour()*60+lt.Minute()]
}

// Zone is the schedule's time zone name.
func (s *Schedule) Zone() string { return s.loc.String() }

// Never reports whether the schedule can match no time at all.
func (s *Schedule) Never() bool {
	return s.days == [7]bool{} || s.mins == [minutesPerDay]bool{}
}

// Covers reports whether every time o matches s matches too, so that o
// after s in a first-match list never applies. Schedules in different
// zones are never said to cover each other (their offsets move apart
// with daylight saving time).
func (s *Schedule) Covers(o *Schedule) bool {
	if s.loc.String() != o.loc.String() || o.Never() {
		return false
	}
	for d := range 7 {
		if o.days[d] && !s.days[d] {
			return false
		}
	}
	for m := range minutesPerDay {
		if o.mins[m] && !s.mins[m] {
			return false
		}
	}
	return true
}

// Always reports whether the schedules between them match every minute
// of the week (in one zone; schedules of several zones are never said
// to, as for Covers): a route's own peers after them would never apply.
func Always(ss ...*Schedule) bool {
	if len(ss) == 0 {
		return false
	}
	var week [7][minutesPerDay]bool
	for _, s := range ss {
		if s.loc.String() != ss[0].loc.String() {
			return false
		}
		for d := range 7 {
			if !s.days[d] {
				continue
			}
			for m, on := range s.mins {
				week[d][m] = week[d][m] || on
			}
		}
	}
	for d := range week {
		for _, on := range week[d] {
			if !on {
				return false
			}
		}
	}
	return true
}
