package pbx_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"pbxlab/pbx"
	"pbxlab/pbx/config"
	"pbxlab/pbx/internal/services/hunt"
	"pbxlab/pbx/pbxtest"
	"pbxlab/sim/phone"
)

// huntConfig: hunt groups over members 1001-1003 (1007 is never
// registered), 1004-1006 for longest idle; 2006 reaches group "numbered"
// through a numbering entry of kind group; 2008 and 2009 overflow to each
// other.
func huntConfig(c *config.Config) {
	plainErrors(c)
	c.Media.TonePlan = "us"
	ring := 500 * time.Millisecond
	c.Services.Hunt = hunt.Config{Groups: []hunt.Group{
		{Name: "seq", Number: "2001", Strategy: hunt.Sequential, Members: []string{"1007", "1001", "1002", "1003"}, RingTime: ring},
		{Name: "circ", Number: "2002", Strategy: hunt.Circular, Members: []string{"1001", "1002", "1003"}, RingTime: ring},
		{Name: "all", Number: "2003", Strategy: hunt.Simultaneous, Members: []string{"1001", "1002", "1003"}, RingTime: ring},
		{Name: "idle", Number: "2004", Strategy: hunt.LongestIdle, Members: []string{"1004", "1005", "1006"}, RingTime: ring},
		{Name: "over", Number: "2005", Members: []string{"1001", "1002"}, RingTime: ring, Overflow: "1009"},
		{Name: "numbered", Members: []string{"1003"}, RingTime: ring},
		{Name: "alone", Number: "2007", Members: []string{"1001"}, RingTime: ring},
		{Name: "loopa", Number: "2008", Members: []string{"1001"}, RingTime: ring, Overflow: "2009"},
		{Name: "loopb", Number: "2009", Members: []string{"1002"}, RingTime: ring, Overflow: "2008"},
	}}
	c.Numbering.Entries = append(c.Numbering.Entries, config.NumberingEntry{Prefix: "2006", Min: 4, Max: 4, Kind: "group", Target: "numbered"})
}

// TestHuntGroups: each strategy rings the right member, busy and
// unregistered members are passed over, a logged-out member is not rung,
// nobody answering overflows.
func TestHuntGroups(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	in := startPBX(t, huntConfig, pbxtest.Options{})
	ps := registered(ctx, t, in.Target(), phone.Config{}, "1000", "1001", "1002", "1003", "1004", "1005", "1006", "1009")
	members := []string{"1001", "1002", "1003", "1004", "1005", "1006", "1009"}
	answer := phone.AnswerMode{Behaviour: phone.Answer}
	set := func(modes map[string]phone.AnswerMode) {
		for _, n := range members {
			m, ok := modes[n]
			if !ok {
				m = answer
			}
			ps[n].SetAnswer(m)
		}
	}
	ended := 0
	// call dials from 1000 and returns who answered and who was rung, after
	// hanging up; "" when nobody answered (the caller's final code then).
	call := func(t *testing.T, dialled string) (who string, rung []string, code int) {
		t.Helper()
		c, err := ps["1000"].Dial(ctx, dialled)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.WaitAnswer(ctx); err == nil {
			if err := c.Hangup(ctx); err != nil {
				t.Fatal(err)
			}
		}
		end, err := c.Wait(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range members {
			for {
				var inc *phone.Call
				select {
				case inc = <-ps[n].in:
				default:
				}
				if inc == nil {
					break
				}
				rung = append(rung, n)
				if _, err := inc.Wait(ctx); err != nil {
					t.Fatal(err)
				}
				if inc.End().Code == 200 {
					who = n
				}
			}
		}
		ended++
		waitCDRs(ctx, t, in, func(rs []pbx.CDR) bool { return len(rs) >= ended })
		return who, rung, end.Code
	}
	type step struct {
		dialled string
		modes   map[string]phone.AnswerMode
		who     string
		rung    []string // nil: not checked
		code    int      // when nobody answers
	}
	busy := phone.AnswerMode{Behaviour: phone.Busy}
	silent := phone.AnswerMode{Behaviour: phone.NoAnswer}
	late := phone.AnswerMode{Behaviour: phone.Answer, Delay: 200 * time.Millisecond}
	for _, tc := range []struct {
		name  string
		steps []step
	}{
		{"sequential skips the unregistered and the busy", []step{
			{dialled: "2001", modes: map[string]phone.AnswerMode{"1001": busy}, who: "1002", rung: []string{"1001", "1002"}},
			{dialled: "2001", who: "1001", rung: []string{"1001"}},
		}},
		{"sequential: no answer moves on after the ring time", []step{
			{dialled: "2001", modes: map[string]phone.AnswerMode{"1001": silent, "1002": silent}, who: "1003", rung: []string{"1001", "1002", "1003"}},
		}},
		{"circular starts after the last answerer", []step{
			{dialled: "2002", who: "1001"},
			{dialled: "2002", who: "1002"},
			{dialled: "2002", modes: map[string]phone.AnswerMode{"1003": busy}, who: "1001", rung: []string{"1001", "1003"}},
			{dialled: "2002", who: "1002"},
		}},
		{"ring all: the first to answer", []step{
			{dialled: "2003", modes: map[string]phone.AnswerMode{"1001": silent, "1002": late, "1003": silent}, who: "1002", rung: []string{"1001", "1002", "1003"}},
		}},
		{"ring all: nobody answers in the ring time", []step{
			{dialled: "2003", modes: map[string]phone.AnswerMode{"1001": silent, "1002": silent, "1003": busy}, code: 486, rung: []string{"1001", "1002", "1003"}},
		}},
		{"longest idle", []step{
			{dialled: "2004", who: "1004"},
			{dialled: "1005", who: "1005"}, // a direct call: 1005 is no longer idle
			{dialled: "2004", who: "1006"},
			{dialled: "2004", who: "1004"},
		}},
		{"overflow when nobody answers", []step{
			{dialled: "2005", modes: map[string]phone.AnswerMode{"1001": silent, "1002": busy}, who: "1009", rung: []string{"1001", "1002", "1009"}},
		}},
		{"no overflow: busy", []step{
			{dialled: "2007", modes: map[string]phone.AnswerMode{"1001": busy}, code: 486, rung: []string{"1001"}},
		}},
		{"overflows from group to group end", []step{
			{dialled: "2008", modes: map[string]phone.AnswerMode{"1001": busy, "1002": busy}, code: 486,
				rung: []string{"1001", "1001", "1001", "1002", "1002"}},
		}},
		{"overflow to a group", []step{
			{dialled: "2008", modes: map[string]phone.AnswerMode{"1001": busy}, who: "1002", rung: []string{"1001", "1002"}},
		}},
		{"through a numbering entry of kind group", []step{
			{dialled: "2006", who: "1003", rung: []string{"1003"}},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for i, st := range tc.steps {
				set(st.modes)
				who, rung, code := call(t, st.dialled)
				if who != st.who {
					t.Errorf("call %d to %s: answered by %q, want %q (rung %v, code %d)", i+1, st.dialled, who, st.who, rung, code)
				}
				if st.who == "" && code != st.code {
					t.Errorf("call %d to %s: caller got %d, want %d", i+1, st.dialled, code, st.code)
				}
				if st.rung != nil && !slices.Equal(rung, st.rung) {
					t.Errorf("call %d to %s: rung %v, want %v", i+1, st.dialled, rung, st.rung)
				}
			}
		})
	}

	t.Run("a logged-out member is not rung", func(t *testing.T) {
		set(nil)
		confirm := func(p *testPhone, code string) {
			t.Helper()
			c, err := p.Dial(ctx, code)
			if err != nil {
				t.Fatal(err)
			}
			if err := c.WaitAnswer(ctx); err != nil {
				t.Fatalf("%s dials %s: %v (code %d)", p.Number(), code, err, c.Code())
			}
			if _, err := c.Wait(ctx); err != nil {
				t.Fatal(err)
			}
			ended++
		}
		confirm(ps["1001"], "#60*2001#")
		if who, rung, _ := call(t, "2001"); who != "1002" || !slices.Equal(rung, []string{"1002"}) {
			t.Errorf("1001 logged out: answered by %q (rung %v), want 1002 alone", who, rung)
		}
		confirm(ps["1001"], "*60*2001#")
		if who, _, _ := call(t, "2001"); who != "1001" {
			t.Errorf("1001 logged back in: answered by %q, want 1001", who)
		}
		c, err := ps["1009"].Dial(ctx, "#60*2001#") // not a member
		if err != nil {
			t.Fatal(err)
		}
		if end, err := c.Wait(ctx); err != nil || end.Code != 403 {
			t.Errorf("a non-member logs out: %d %v, want 403", end.Code, err)
		}
	})
}

// TestHuntSkipsSuspendedMember: a member suspended through the admin API
// is not rung; resumed, it is again.
func TestHuntSkipsSuspendedMember(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	in := adminPBX(t, adminToken, func(c *config.Config) {
		plainErrors(c)
		c.Services.Hunt = hunt.Config{Groups: []hunt.Group{{Name: "seq", Number: "2001", Members: []string{"1001", "1002"}}}}
	})
	ps := registered(ctx, t, in.Target(), phone.Config{}, "1000", "1001", "1002")
	api := newAPI(t, in, adminToken)
	reaches := func(want string) {
		t.Helper()
		c, err := ps["1000"].Dial(ctx, "2001")
		if err != nil {
			t.Fatal(err)
		}
		if err := c.WaitAnswer(ctx); err != nil {
			t.Fatalf("%v (code %d)", err, c.Code())
		}
		inc := ps[want].nextIncoming(ctx, t)
		if err := c.Hangup(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := inc.Wait(ctx); err != nil {
			t.Fatal(err)
		}
		for _, n := range []string{"1001", "1002"} {
			select {
			case other := <-ps[n].in:
				t.Errorf("%s was rung too (state %s), want %s alone", n, other.State(), want)
			default:
			}
		}
	}
	reaches("1001")
	api.must(ctx, 200, "POST", "/api/v1/subscribers/1001/suspend", "")
	reaches("1002")
	api.must(ctx, 200, "POST", "/api/v1/subscribers/1001/resume", "")
	reaches("1001")
}
