package hunt

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"pbxlab/pbx/internal/services"
	"pbxlab/pbx/internal/sipx"
)

func members(p Plan) []string {
	out := make([]string, 0, len(p.Steps))
	for _, s := range p.Steps {
		out = append(out, s.Member)
	}
	return out
}

func newService(t *testing.T, groups ...Group) (*Service, *MemStore) {
	t.Helper()
	st := &MemStore{}
	s, err := New(Config{Groups: groups}, st)
	if err != nil {
		t.Fatal(err)
	}
	return s, st
}

func TestPlanOrder(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	ms := []string{"1001", "1002", "1003"}
	type event struct {
		answered string        // Answered(group, answered)
		ended    string        // Ended(ended, t0+at)
		at       time.Duration // for ended
	}
	for _, tc := range []struct {
		name     string
		strategy Strategy
		events   []event
		out      []string // logged out
		down     []string // not registered
		want     []string
		parallel bool
	}{
		{name: "sequential from the first", strategy: Sequential, want: ms},
		{name: "sequential ignores the last answerer", strategy: Sequential, events: []event{{answered: "1001"}}, want: ms},
		{name: "default strategy is sequential", want: ms},
		{name: "circular before any call", strategy: Circular, want: ms},
		{name: "circular after 1001", strategy: Circular, events: []event{{answered: "1001"}}, want: []string{"1002", "1003", "1001"}},
		{name: "circular after 1002", strategy: Circular, events: []event{{answered: "1001"}, {answered: "1002"}}, want: []string{"1003", "1001", "1002"}},
		{name: "circular wraps after the last", strategy: Circular, events: []event{{answered: "1003"}}, want: ms},
		{name: "circular after a logged-out member", strategy: Circular, events: []event{{answered: "1002"}}, out: []string{"1003"}, want: []string{"1001", "1002"}},
		{name: "simultaneous rings all", strategy: Simultaneous, want: ms, parallel: true},
		{name: "longest idle: never called first, in order", strategy: LongestIdle, want: ms},
		{name: "longest idle", strategy: LongestIdle, events: []event{{ended: "1001", at: 3}, {ended: "1003", at: 1}},
			want: []string{"1002", "1003", "1001"}},
		{name: "longest idle: a later end moves a member back", strategy: LongestIdle,
			events: []event{{ended: "1001", at: 1}, {ended: "1002", at: 2}, {ended: "1003", at: 3}, {ended: "1001", at: 4}},
			want:   []string{"1002", "1003", "1001"}},
		{name: "longest idle: an earlier end is ignored", strategy: LongestIdle,
			events: []event{{ended: "1001", at: 5}, {ended: "1001", at: 1}, {ended: "1002", at: 2}},
			want:   []string{"1003", "1002", "1001"}},
		{name: "logged out skipped", strategy: Sequential, out: []string{"1002"}, want: []string{"1001", "1003"}},
		{name: "unregistered skipped", strategy: Simultaneous, down: []string{"1001"}, want: []string{"1002", "1003"}, parallel: true},
		{name: "nobody left", strategy: Sequential, out: []string{"1001"}, down: []string{"1002", "1003"}, want: nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, st := newService(t, Group{Name: "sales", Strategy: tc.strategy, Members: ms, RingTime: 10 * time.Second},
				Group{Name: "other", Members: []string{"1004"}})
			for _, e := range tc.events {
				if e.answered != "" {
					s.Answered("sales", e.answered)
				}
				if e.ended != "" {
					s.Ended(e.ended, t0.Add(e.at*time.Second))
				}
			}
			for _, m := range tc.out {
				if err := st.SetLoggedOut(ctx, "sales", m, true); err != nil {
					t.Fatal(err)
				}
			}
			p, err := s.Plan(ctx, "sales", func(m string) bool { return !slices.Contains(tc.down, m) })
			if err != nil {
				t.Fatal(err)
			}
			if got := members(p); !slices.Equal(got, tc.want) {
				t.Errorf("members %v, want %v", got, tc.want)
			}
			if p.Parallel != tc.parallel {
				t.Errorf("parallel %v, want %v", p.Parallel, tc.parallel)
			}
			for _, st := range p.Steps {
				if st.Ring != 10*time.Second {
					t.Errorf("%s rings %s, want 10s", st.Member, st.Ring)
				}
			}
		})
	}
}

func TestPlanRingTimes(t *testing.T) {
	ms := []string{"1001", "1002", "1003"}
	for _, tc := range []struct {
		name string
		g    Group
		want []time.Duration
	}{
		{"default ring time", Group{Members: ms}, []time.Duration{DefaultRingTime, DefaultRingTime, DefaultRingTime}},
		{"max time cuts the hunt", Group{Members: ms, RingTime: 10 * time.Second, MaxTime: 25 * time.Second},
			[]time.Duration{10 * time.Second, 10 * time.Second, 5 * time.Second}},
		{"max time stops before the last", Group{Members: ms, RingTime: 10 * time.Second, MaxTime: 20 * time.Second},
			[]time.Duration{10 * time.Second, 10 * time.Second}},
		{"max time bounds ring all", Group{Members: ms, Strategy: Simultaneous, RingTime: 30 * time.Second, MaxTime: 20 * time.Second},
			[]time.Duration{20 * time.Second, 20 * time.Second, 20 * time.Second}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.g.Name = "g"
			s, _ := newService(t, tc.g)
			p, err := s.Plan(context.Background(), "g", nil)
			if err != nil {
				t.Fatal(err)
			}
			var got []time.Duration
			for _, st := range p.Steps {
				got = append(got, st.Ring)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("rings %v, want %v", got, tc.want)
			}
		})
	}
	s, _ := newService(t, Group{Name: "g", Members: ms})
	if _, err := s.Plan(context.Background(), "nope", nil); !errors.Is(err, ErrNoGroup) {
		t.Errorf("unknown group: %v, want ErrNoGroup", err)
	}
}

func TestLoginCodes(t *testing.T) {
	ctx := context.Background()
	s, st := newService(t, Group{Name: "sales", Number: "2000", Members: []string{"1001", "1002"}},
		Group{Name: "7", Members: []string{"1001"}})
	for _, tc := range []struct {
		name, caller, dialled string
		trunk                 bool
		kind                  services.VerdictKind
		code                  int
		wantOut               []string // sales' logged-out members after
		group                 string
	}{
		{name: "not a code", caller: "1001", dialled: "1002", kind: services.Continue, group: "sales"},
		{name: "log out by number", caller: "1001", dialled: "#60*2000#", kind: services.Feature, wantOut: []string{"1001"}, group: "sales"},
		{name: "log out escaped", caller: "1002", dialled: "%2360*2000%23", kind: services.Feature, wantOut: []string{"1001", "1002"}, group: "sales"},
		{name: "log in without the hash", caller: "1002", dialled: "*60*2000", kind: services.Feature, wantOut: []string{"1001"}, group: "sales"},
		{name: "log in by name", caller: "1001", dialled: "*60*7#", kind: services.Feature, group: "7"},
		{name: "not a member", caller: "1003", dialled: "*60*2000#", kind: services.Refuse, code: 403, group: "sales", wantOut: []string{"1001"}},
		{name: "from a trunk", caller: "1001", dialled: "*60*2000#", trunk: true, kind: services.Refuse, code: 403, group: "sales", wantOut: []string{"1001"}},
		{name: "unknown group", caller: "1001", dialled: "*60*2999#", kind: services.Refuse, code: 404, group: "sales", wantOut: []string{"1001"}},
		{name: "malformed", caller: "1001", dialled: "*60*#", kind: services.Refuse, code: 484, group: "sales", wantOut: []string{"1001"}},
		{name: "malformed star", caller: "1001", dialled: "#60*20*00#", kind: services.Refuse, code: 484, group: "sales", wantOut: []string{"1001"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := s.Dialled(ctx, &services.Call{Caller: tc.caller, Subscriber: !tc.trunk, Dialled: tc.dialled})
			if err != nil {
				t.Fatal(err)
			}
			if v.Kind != tc.kind {
				t.Fatalf("verdict %s, want %s", v.Kind, tc.kind)
			}
			if tc.code != 0 {
				var se *sipx.StatusError
				if !errors.As(v.Err, &se) || se.Code != tc.code {
					t.Errorf("refusal %v, want %d", v.Err, tc.code)
				}
			}
			if v.Apply != nil {
				if err := v.Apply(ctx); err != nil {
					t.Fatal(err)
				}
			}
			if got, _ := st.LoggedOut(ctx, tc.group); !slices.Equal(sortedKeys(got), tc.wantOut) {
				t.Errorf("%s logged out: %v, want %v", tc.group, sortedKeys(got), tc.wantOut)
			}
			if s.Claims(tc.dialled) != (tc.kind != services.Continue) {
				t.Errorf("Claims(%q) = %v", tc.dialled, s.Claims(tc.dialled))
			}
		})
	}
}

func sortedKeys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestCheck(t *testing.T) {
	ok := Group{Name: "sales", Members: []string{"1001"}}
	for _, tc := range []struct {
		name string
		cfg  Config
		want []string // "field: text" fragments
	}{
		{"empty", Config{}, nil},
		{"fine", Config{Groups: []Group{ok, {Name: "b", Number: "2000", Strategy: Circular, Members: []string{"1001", "1002"}, Overflow: "1009", RingTime: time.Second}}}, nil},
		{"no name", Config{Groups: []Group{{Members: []string{"1"}}}}, []string{"groups[0].name: required"}},
		{"name twice", Config{Groups: []Group{ok, ok}}, []string{"groups[1].name"}},
		{"bad strategy", Config{Groups: []Group{{Name: "a", Strategy: "random", Members: []string{"1"}}}}, []string{"groups[0].strategy"}},
		{"no members", Config{Groups: []Group{{Name: "a"}}}, []string{"groups[0].members: at least one"}},
		{"bad member", Config{Groups: []Group{{Name: "a", Members: []string{"1", "x1"}}}}, []string{"groups[0].members[1]"}},
		{"member twice", Config{Groups: []Group{{Name: "a", Members: []string{"1", "1"}}}}, []string{"groups[0].members[1]: \"1\" named twice"}},
		{"bad number", Config{Groups: []Group{{Name: "a", Number: "20a", Members: []string{"1"}}}}, []string{"groups[0].number"}},
		{"number twice", Config{Groups: []Group{{Name: "a", Number: "20", Members: []string{"1"}}, {Name: "b", Number: "20", Members: []string{"1"}}}}, []string{"groups[1].number"}},
		{"negative times", Config{Groups: []Group{{Name: "a", Members: []string{"1"}, RingTime: -1, MaxTime: -1}}}, []string{"groups[0].ring_time", "groups[0].max_time"}},
		{"bad overflow", Config{Groups: []Group{{Name: "a", Members: []string{"1"}, Overflow: "sales"}}}, []string{"groups[0].overflow"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ps := tc.cfg.Check()
			if len(ps) != len(tc.want) {
				t.Fatalf("problems %v, want %d", ps, len(tc.want))
			}
			for i, w := range tc.want {
				if got := ps[i].Field + ": " + ps[i].Msg; !strings.HasPrefix(got, w) {
					t.Errorf("problem %q, want %q...", got, w)
				}
			}
			_, err := New(tc.cfg, &MemStore{})
			if (err != nil) != (len(tc.want) > 0) {
				t.Errorf("New: %v", err)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"*60*2000#", "#60*2000#", "%2360*1%23", "*60*", "*60*a*b#", "**12", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, dialled string) {
		c := Parse(dialled)
		switch c.Op {
		case Login, Logout:
			if c.Group == "" || len(c.Group) > maxKey || strings.ContainsAny(c.Group, "*#") {
				t.Errorf("Parse(%q) = %+v: bad group", dialled, c)
			}
		case None, Malformed:
			if c.Group != "" {
				t.Errorf("Parse(%q) = %+v: group without a code", dialled, c)
			}
		default:
			t.Errorf("Parse(%q): op %d", dialled, c.Op)
		}
		_ = c.Op.String()
	})
}
