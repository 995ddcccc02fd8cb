package abbreviated

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"pbxlab/pbx/internal/services"
	"pbxlab/pbx/internal/services/abbreviated/sqlstore"
	"pbxlab/pbx/internal/sipx"
	"pbxlab/pbx/internal/store"
)

var _ Store = (*sqlstore.Store)(nil)

func newService(t *testing.T, ctx context.Context, path string, cfg Config) *Service {
	t.Helper()
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	st, err := sqlstore.New(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(cfg, st)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// dial runs the Dialled hook, applying a feature as the PBX would.
func dial(t *testing.T, ctx context.Context, s *Service, caller, dialled string, subscriber bool) services.Verdict {
	t.Helper()
	v, err := s.Dialled(ctx, &services.Call{Caller: caller, Subscriber: subscriber, Dialled: dialled})
	if err != nil {
		t.Fatal(err)
	}
	if v.Kind == services.Feature {
		if err := v.Apply(ctx); err != nil {
			t.Fatal(err)
		}
	}
	return v
}

func TestSetUseClear(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s := newService(t, ctx, "", Config{Codes: map[string]string{"01": "1002", "02": "1004"}})
	type step struct {
		caller, dialled string
		kind            services.VerdictKind
		number          string // of a rewrite
		code            int    // of a refusal
	}
	for i, st := range []step{
		{"1001", "**01", services.Rewrite, "1002", 0},       // system-wide
		{"1001", "**05", services.Refuse, "", 404},          // not set
		{"1001", "*51*05*1003#", services.Feature, "", 0},   // set
		{"1001", "**05", services.Rewrite, "1003", 0},       // personal
		{"1007", "**05", services.Refuse, "", 404},          // another subscriber's is not mine
		{"1001", "*51*01*1005%23", services.Feature, "", 0}, // a personal 01 ...
		{"1001", "**01", services.Rewrite, "1005", 0},       // ... beats the system-wide 01
		{"1007", "**01", services.Rewrite, "1002", 0},       // others keep the system-wide one
		{"1001", "*51*05*1006", services.Feature, "", 0},    // set again: replaced
		{"1001", "**05", services.Rewrite, "1006", 0},       //
		{"1001", "#51*05#", services.Feature, "", 0},        // clear
		{"1001", "**05", services.Refuse, "", 404},          //
		{"1001", "#51*05", services.Feature, "", 0},         // clearing nothing is fine
		{"1001", "#51*01%23", services.Feature, "", 0},      // clear the personal 01:
		{"1001", "**01", services.Rewrite, "1002", 0},       // the system-wide one again
		{"1001", "*51*5*1003#", services.Refuse, "", 484},   // malformed
		{"1001", "1002", services.Continue, "", 0},          // not a code
		{"1001", "*98", services.Continue, "", 0},           // another service's code
		{"1001", "**0102", services.Continue, "", 0},        // not a code of 2 digits
	} {
		v := dial(t, ctx, s, st.caller, st.dialled, true)
		if v.Kind != st.kind {
			t.Fatalf("step %d: %s dials %s: %v (%v), want %v", i, st.caller, st.dialled, v.Kind, v.Err, st.kind)
		}
		if v.Number != st.number {
			t.Errorf("step %d: %s dials %s: number %q, want %q", i, st.caller, st.dialled, v.Number, st.number)
		}
		if st.code != 0 {
			if code, _, _ := sipx.StatusOf(v.Err); code != st.code {
				t.Errorf("step %d: %s dials %s: %d, want %d", i, st.caller, st.dialled, code, st.code)
			}
		}
	}
	for _, d := range []string{"*51*05*1003#", "**01", "#51*01#"} {
		v := dial(t, ctx, s, "trunk", d, false)
		if code, _, _ := sipx.StatusOf(v.Err); v.Kind != services.Refuse || code != 403 || !errors.Is(v.Err, sipx.ErrForbidden) {
			t.Errorf("a trusted peer dials %s: %v %v, want 403", d, v.Kind, v.Err)
		}
	}
}

// TestPersonalCodesSurviveARestart: the codes are in the database file.
func TestPersonalCodesSurviveARestart(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	path := filepath.Join(t.TempDir(), "pbx.db")
	{
		db, err := store.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		st, err := sqlstore.New(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		s, _ := New(Config{}, st)
		dial(t, ctx, s, "1001", "*51*07*0123456#", true)
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}
	s := newService(t, ctx, path, Config{})
	if v := dial(t, ctx, s, "1001", "**07", true); v.Kind != services.Rewrite || v.Number != "0123456" {
		t.Errorf("after a restart **07 gives %+v, want 0123456", v)
	}
}

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name   string
		cfg    Config
		fields []string
	}{
		{"default", Config{}, nil},
		{"codes", Config{Codes: map[string]string{"01": "1002", "99": "00441234"}}, nil},
		{"three digits", Config{Digits: 3, Codes: map[string]string{"001": "1002"}}, nil},
		{"digits out of range", Config{Digits: 5}, []string{"digits"}},
		{"negative digits", Config{Digits: -1}, []string{"digits"}},
		{"code of the wrong length", Config{Codes: map[string]string{"1": "1002"}}, []string{"codes.1"}},
		{"code not digits", Config{Codes: map[string]string{"a1": "1002"}}, []string{"codes.a1"}},
		{"number not digits", Config{Codes: map[string]string{"01": "10*2"}}, []string{"codes.01"}},
		{"empty number", Config{Codes: map[string]string{"01": ""}}, []string{"codes.01"}},
	} {
		ps := tc.cfg.Check()
		if len(ps) != len(tc.fields) {
			t.Errorf("%s: %v, want problems at %v", tc.name, ps, tc.fields)
			continue
		}
		for i, p := range ps {
			if p.Field != tc.fields[i] {
				t.Errorf("%s: problem at %s, want %s", tc.name, p.Field, tc.fields[i])
			}
		}
	}
}
