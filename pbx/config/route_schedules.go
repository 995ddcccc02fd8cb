package config

import (
	"errors"
	"fmt"

	"pbxlab/pbx/internal/tod"
)

// Compile parses the schedule's time zone, days and times.
func (r RouteSchedule) Compile() (*tod.Schedule, error) {
	return tod.Parse(tod.Spec{Zone: r.TimeZone, Days: r.Days, Times: r.Times})
}

// routeSchedules checks a route's schedules (path: routes[i]): each
// parses and names a known zone (an empty range, which never matches,
// is refused); none is shadowed
// by an earlier one of the route (in the same zone), which would make it
// never apply, and together they leave some time to the route's own
// peers; names are unique within the route.
func (v *validator) routeSchedules(path string, ss []RouteSchedule) {
	compiled := make([]*tod.Schedule, len(ss))
	names := map[string]int{}
	for i, s := range ss {
		sp := fmt.Sprintf("%s.schedules[%d]", path, i)
		if j, dup := names[s.Name]; dup && s.Name != "" {
			v.errorf(sp+".name", "duplicate schedule %q (also %s.schedules[%d])", s.Name, path, j)
		}
		names[s.Name] = i
		v.peerSet(sp, s.Peers, s.Spread, s.Weights)
		sc, err := s.Compile()
		var te *tod.Error
		switch {
		case errors.As(err, &te):
			v.errorf(sp+"."+te.Field, "%s", te.Msg)
			continue
		case err != nil:
			v.errorf(sp, "%v", err)
			continue
		}
		compiled[i] = sc
		for j := range i {
			if compiled[j] != nil && compiled[j].Covers(sc) {
				v.errorf(sp, "never applies: %s.schedules[%d] (%s) comes first and matches whenever this one does", path, j, ss[j].Label(j))
				break
			}
		}
	}
	var all []*tod.Schedule
	for _, sc := range compiled {
		if sc != nil {
			all = append(all, sc)
		}
	}
	if tod.Always(all...) { // those that failed could only add times
		v.errorf(path+".peers", "never used: the route's schedules between them hold at every time of the week (make the last one the route's own peers)")
	}
}
