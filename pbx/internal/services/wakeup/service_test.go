package wakeup

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"pbxlab/internal/clock"
	"pbxlab/pbx/internal/services"
	"pbxlab/pbx/internal/sipx"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		dialled string
		op      Op
		at      string
	}{
		{"*55*0730#", Set, "0730"},
		{"*55*0730%23", Set, "0730"},
		{"*55*0730", Set, "0730"},
		{"*55*0000#", Set, "0000"},
		{"*55*2359#", Set, "2359"},
		{"#55#", Cancel, ""},
		{"%2355%23", Cancel, ""},
		{"#55", Cancel, ""},
		{"*55*2561#", Malformed, ""},
		{"*55*2400#", Malformed, ""},
		{"*55*123#", Malformed, ""},
		{"*55*12345#", Malformed, ""},
		{"*55*ab12#", Malformed, ""},
		{"*55#", Malformed, ""},
		{"*55", Malformed, ""},
		{"#55*0730#", Malformed, ""},
		{"*56#", None, ""},
		{"1055", None, ""},
		{"*5", None, ""},
	} {
		op, at := Parse(tc.dialled)
		if op != tc.op || at != tc.at {
			t.Errorf("Parse(%q) = %v %q, want %v %q", tc.dialled, op, at, tc.op, tc.at)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"*55*0730#", "#55#", "*55*2561#", "*55*", "%23", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, d string) {
		op, at := Parse(d)
		if op == Set {
			c, err := ParseTime(at)
			if err != nil || c.String() != at {
				t.Fatalf("Parse(%q) set %q: %v", d, at, err)
			}
		} else if at != "" {
			t.Fatalf("Parse(%q) = %v with a time %q", d, op, at)
		}
	})
}

func TestNext(t *testing.T) {
	loc := time.FixedZone("UTC+8", 8*3600)
	now := time.Date(2026, 12, 6, 7, 30, 0, 0, loc)
	for _, tc := range []struct {
		at   Clock
		want time.Time
	}{
		{Clock{7, 31}, time.Date(2026, 12, 6, 7, 31, 0, 0, loc)},
		{Clock{7, 30}, time.Date(2026, 12, 7, 7, 30, 0, 0, loc)}, // now: tomorrow
		{Clock{6, 0}, time.Date(2026, 12, 7, 6, 0, 0, 0, loc)},
		{Clock{23, 59}, time.Date(2026, 12, 6, 23, 59, 0, 0, loc)},
	} {
		if got := Next(now.UTC(), tc.at, loc); !got.Equal(tc.want) {
			t.Errorf("Next(%v) = %v, want %v", tc.at, got, tc.want)
		}
	}
}

func TestConfigCheck(t *testing.T) {
	for _, tc := range []struct {
		name  string
		cfg   Config
		field string
	}{
		{"zero", Config{}, ""},
		{"zone", Config{TimeZone: "Asia/Shanghai", Retries: 10, RetryInterval: time.Minute}, ""},
		{"bad zone", Config{TimeZone: "Mars/Olympus"}, "time_zone"},
		{"bad tone", Config{Tone: "klaxon"}, "tone"},
		{"too many retries", Config{Retries: 11}, "retries"},
		{"negative interval", Config{RetryInterval: -time.Second}, "retry_interval"},
	} {
		ps := tc.cfg.Check()
		switch {
		case tc.field == "" && len(ps) > 0:
			t.Errorf("%s: %v", tc.name, ps)
		case tc.field != "" && (len(ps) != 1 || ps[0].Field != tc.field):
			t.Errorf("%s: %v, want one problem at %s", tc.name, ps, tc.field)
		}
	}
}

func TestDialled(t *testing.T) {
	for _, tc := range []struct {
		name    string
		call    services.Call
		kind    services.VerdictKind
		code    int
		stored  string
		deleted bool
	}{
		{"set", services.Call{Caller: "1001", Subscriber: true, Dialled: "*55*0645#"}, services.Feature, 0, "0645", false},
		{"cancel", services.Call{Caller: "1001", Subscriber: true, Dialled: "#55#"}, services.Feature, 0, "", true},
		{"malformed", services.Call{Caller: "1001", Subscriber: true, Dialled: "*55*2561#"}, services.Refuse, 484, "", false},
		{"from a trunk", services.Call{Caller: "0123", Dialled: "*55*0645#"}, services.Refuse, 403, "", false},
		{"not ours", services.Call{Caller: "1001", Subscriber: true, Dialled: "1002"}, services.Continue, 0, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := newMemStore()
			s, err := New(Config{}, st)
			if err != nil {
				t.Fatal(err)
			}
			c := tc.call
			v, err := s.Dialled(context.Background(), &c)
			if err != nil || v.Kind != tc.kind {
				t.Fatalf("verdict %v %v, want %v", v.Kind, err, tc.kind)
			}
			if tc.code != 0 {
				var se *sipx.StatusError
				if !errors.As(v.Err, &se) || se.Code != tc.code {
					t.Fatalf("refusal %v, want %d", v.Err, tc.code)
				}
			}
			if v.Apply != nil {
				if err := v.Apply(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			if got := st.m[c.Caller]; got != tc.stored {
				t.Errorf("stored %q, want %q", got, tc.stored)
			}
			if st.deleted != tc.deleted {
				t.Errorf("deleted %v, want %v", st.deleted, tc.deleted)
			}
		})
	}
}

// TestAlarmTries: on a fake clock an unanswered alarm rings at its time
// and Retries more times RetryInterval apart, then is cleared; an answered
// one rings once.
func TestAlarmTries(t *testing.T) {
	for _, tc := range []struct {
		name      string
		cfg       Config
		answerAt  int // the try answered (0: none)
		wantCalls int
	}{
		{"default retries", Config{}, 0, 4},
		{"no retries", Config{Retries: -1}, 0, 1},
		{"answered at once", Config{}, 1, 1},
		{"answered at the third", Config{}, 3, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			clk := clock.NewFake(time.Date(2026, 12, 6, 6, 0, 0, 0, time.UTC))
			st := newMemStore()
			settled := make(chan int, 16)
			n := 0
			ring := func(_ context.Context, sub string, done func(bool)) {
				n++ // tries are sequential: the next is armed by done
				k := n
				done(k == tc.answerAt)
				settled <- k
			}
			tc.cfg.TimeZone = "UTC"
			s, err := New(tc.cfg, st, WithClock(clk), WithRinger(ring))
			if err != nil {
				t.Fatal(err)
			}
			if err := st.Put(ctx, "1001", "0630"); err != nil {
				t.Fatal(err)
			}
			runCtx, stop := context.WithCancel(ctx)
			ran := make(chan error, 1)
			go func() { ran <- s.Run(runCtx) }()
			waitPending(t, s, 1)
			clk.Advance(30 * time.Minute)
			calls := 0
			for {
				select {
				case calls = <-settled:
				case <-ctx.Done():
					t.Fatalf("after %d calls: %v", calls, ctx.Err())
				}
				if len(s.Pending()) == 0 {
					break
				}
				clk.Advance(s.Config().RetryInterval)
			}
			stop()
			if err := <-ran; err != nil {
				t.Fatal(err)
			}
			if calls != tc.wantCalls {
				t.Errorf("%d calls, want %d", calls, tc.wantCalls)
			}
			st.mu.Lock()
			defer st.mu.Unlock()
			if _, ok := st.m["1001"]; ok {
				t.Error("alarm still stored after its tries")
			}
		})
	}
}

func waitPending(t *testing.T, s *Service, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for len(s.Pending()) != n {
		if time.Now().After(deadline) {
			t.Fatalf("pending %v, want %d", s.Pending(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

type memStore struct {
	mu      sync.Mutex
	m       map[string]string
	deleted bool
}

func newMemStore() *memStore { return &memStore{m: map[string]string{}} }

func (m *memStore) Put(_ context.Context, sub, hhmm string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.m[sub] = hhmm
	return nil
}

func (m *memStore) Delete(_ context.Context, sub string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.m, sub)
	m.deleted = true
	return nil
}

func (m *memStore) All(context.Context) (map[string]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]string{}
	for k, v := range m.m {
		out[k] = v
	}
	return out, nil
}
