package tod

import (
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the zones of the tests, whatever the host has
)

func TestMatch(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	// 2026-01-05 is a Monday
	at := func(day, h, m int) time.Time { return time.Date(2026, 1, 4+day, h, m, 0, 0, time.UTC) }
	for _, tc := range []struct {
		name string
		spec Spec
		at   time.Time
		want bool
	}{
		{"all day every day", Spec{}, at(3, 3, 3), true},
		{"office hours inside", Spec{Days: []string{"mon-fri"}, Times: []string{"08:00-18:00"}}, at(1, 8, 0), true},
		{"office hours end is exclusive", Spec{Days: []string{"mon-fri"}, Times: []string{"08:00-18:00"}}, at(1, 18, 0), false},
		{"office hours last minute", Spec{Days: []string{"mon-fri"}, Times: []string{"08:00-18:00"}}, at(5, 17, 59), true},
		{"office hours saturday", Spec{Days: []string{"mon-fri"}, Times: []string{"08:00-18:00"}}, at(6, 10, 0), false},
		{"wrapping days", Spec{Days: []string{"fri-mon"}}, at(7, 12, 0), true},
		{"wrapping days excludes tue", Spec{Days: []string{"fri-mon"}}, at(2, 12, 0), false},
		{"crossing midnight late", Spec{Times: []string{"22:00-06:00"}}, at(2, 23, 30), true},
		{"crossing midnight early", Spec{Times: []string{"22:00-06:00"}}, at(2, 5, 59), true},
		{"crossing midnight day", Spec{Times: []string{"22:00-06:00"}}, at(2, 6, 0), false},
		{"days and times apart (Asterisk)", Spec{Days: []string{"mon"}, Times: []string{"22:00-06:00"}}, at(2, 1, 0), false},
		{"to 24:00", Spec{Times: []string{"20:00-24:00"}}, at(1, 23, 59), true},
		{"to 24:00 not after", Spec{Times: []string{"20:00-24:00"}}, at(2, 0, 0), false},
		{"two ranges", Spec{Times: []string{"08:00-12:00", "13:00-17:00"}}, at(1, 12, 30), false},
		{"zone: 08:00 Berlin is 07:00 UTC in winter", Spec{Zone: "Europe/Berlin", Times: []string{"08:00-09:00"}}, at(1, 7, 0), true},
		{"zone: 08:00 UTC is 09:00 Berlin", Spec{Zone: "Europe/Berlin", Times: []string{"08:00-09:00"}}, at(1, 8, 0), false},
		{"zone: summer time", Spec{Zone: "Europe/Berlin", Times: []string{"08:00-09:00"}}, time.Date(2026, 7, 1, 8, 30, 0, 0, berlin), true},
		{"zone moves the day", Spec{Zone: "Asia/Tokyo", Days: []string{"tue"}}, at(1, 16, 0), true},
	} {
		s, err := Parse(tc.spec)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := s.Match(tc.at); got != tc.want {
			t.Errorf("%s: Match(%s) = %v, want %v", tc.name, tc.at, got, tc.want)
		}
	}
}

func TestParseErrorsNameTheField(t *testing.T) {
	for _, tc := range []struct {
		spec       Spec
		field, msg string
	}{
		{Spec{Zone: "Mars/Olympus"}, "time_zone", "unknown time zone"},
		{Spec{Zone: "Local"}, "time_zone", "unknown time zone"},
		{Spec{Days: []string{"mon", "funday"}}, "days[1]", "want a day"},
		{Spec{Days: []string{"mon-"}}, "days[0]", "want a day"},
		{Spec{Times: []string{"8-9"}}, "times[0]", "HH:MM"},
		{Spec{Times: []string{"08:00"}}, "times[0]", "HH:MM-HH:MM"},
		{Spec{Times: []string{"08:00-08:00"}}, "times[0]", "never matches"},
		{Spec{Times: []string{"24:00-08:00"}}, "times[0]", "not a time of day"},
		{Spec{Times: []string{"08:00-24:01"}}, "times[0]", "not a time of day"},
		{Spec{Times: []string{"08:60-09:00"}}, "times[0]", "not a time of day"},
		{Spec{Times: []string{"-1:00-09:00"}}, "times[0]", ""},
	} {
		_, err := Parse(tc.spec)
		e, ok := err.(*Error)
		if !ok || e.Field != tc.field || !strings.Contains(e.Msg, tc.msg) {
			t.Errorf("%+v: %v, want %s: …%s…", tc.spec, err, tc.field, tc.msg)
		}
	}
}

func TestCovers(t *testing.T) {
	p := func(s Spec) *Schedule {
		sc, err := Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		return sc
	}
	office := p(Spec{Days: []string{"mon-fri"}, Times: []string{"08:00-18:00"}})
	for _, tc := range []struct {
		name string
		a, b *Schedule
		want bool
	}{
		{"all covers office", p(Spec{}), office, true},
		{"office does not cover all", office, p(Spec{}), false},
		{"office covers mornings", office, p(Spec{Days: []string{"tue"}, Times: []string{"09:00-12:00"}}), true},
		{"office does not cover saturday", office, p(Spec{Days: []string{"sat"}, Times: []string{"09:00-12:00"}}), false},
		{"office does not cover evenings", office, p(Spec{Days: []string{"mon"}, Times: []string{"17:00-19:00"}}), false},
		{"another zone is never covered", p(Spec{}), p(Spec{Zone: "Europe/Berlin"}), false},
	} {
		if got := tc.a.Covers(tc.b); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// FuzzParse: whatever a configuration file holds, Parse returns a
// schedule or an *Error, never panics, and a schedule it returns matches
// some time unless it says Never.
func FuzzParse(f *testing.F) {
	f.Add("Europe/Berlin", "mon-fri", "08:00-18:00")
	f.Add("", "sun", "22:00-06:00")
	f.Add("UTC", "fri-mon", "00:00-24:00")
	f.Fuzz(func(t *testing.T, zone, day, times string) {
		s, err := Parse(Spec{Zone: zone, Days: []string{day}, Times: []string{times}})
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error %T %v", err, err)
			}
			return
		}
		if s.Never() {
			t.Fatalf("a parsed schedule never matches: %q %q", day, times)
		}
	})
}

func TestAlways(t *testing.T) {
	p := func(s Spec) *Schedule {
		sc, err := Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		return sc
	}
	for _, tc := range []struct {
		name string
		ss   []*Schedule
		want bool
	}{
		{"none", nil, false},
		{"no condition", []*Schedule{p(Spec{})}, true},
		{"weekdays and weekends", []*Schedule{p(Spec{Days: []string{"mon-fri"}}), p(Spec{Days: []string{"sat-sun"}})}, true},
		{"days and nights", []*Schedule{p(Spec{Times: []string{"08:00-20:00"}}), p(Spec{Times: []string{"20:00-08:00"}})}, true},
		{"a minute missing", []*Schedule{p(Spec{Times: []string{"08:00-20:00"}}), p(Spec{Times: []string{"20:01-08:00"}})}, false},
		{"weekend nights only", []*Schedule{p(Spec{Days: []string{"mon-fri"}}), p(Spec{Days: []string{"sat-sun"}, Times: []string{"20:00-08:00"}})}, false},
		{"two zones", []*Schedule{p(Spec{Days: []string{"mon-fri"}}), p(Spec{Zone: "Europe/Berlin", Days: []string{"sat-sun"}})}, false},
	} {
		if got := Always(tc.ss...); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
