package sipstack

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

// custom differs from Defaults in every field, so the test of the real
// process state can tell sipgo's, pbxlab's and these values apart.
func custom() Settings {
	return Settings{
		UDPMTUSize:     9000,
		ReadBufferSize: 16384,
		T1:             250 * time.Millisecond,
		T2:             2 * time.Second,
		T4:             3 * time.Second,
		Timer1xx:       100 * time.Millisecond,
		Logger:         testLogger,
	}
}

var testLogger = slog.New(slog.NewTextHandler(io.Discard, nil))

// TestMain sets the process up with custom settings, as an entry point does.
func TestMain(m *testing.M) {
	if err := Setup(custom()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

func TestSetupWritesSipgoSettings(t *testing.T) {
	c := custom()
	if sip.UDPMTUSize != c.UDPMTUSize || sip.TransportBufferReadSize != c.ReadBufferSize || sip.Timer_1xx != c.Timer1xx {
		t.Errorf("sip: mtu %d read %d 1xx %s, want %s", sip.UDPMTUSize, sip.TransportBufferReadSize, sip.Timer_1xx, c)
	}
	// SetTimers derives the transaction timers (RFC 3261 table 4).
	for name, got := range map[string]time.Duration{
		"T1": sip.T1, "T2": sip.T2, "T4": sip.T4,
		"A": sip.Timer_A, "B": sip.Timer_B, "E": sip.Timer_E, "F": sip.Timer_F, "G": sip.Timer_G,
		"H": sip.Timer_H, "I": sip.Timer_I, "J": sip.Timer_J, "K": sip.Timer_K,
	} {
		want := map[string]time.Duration{
			"T1": c.T1, "T2": c.T2, "T4": c.T4,
			"A": c.T1, "B": 64 * c.T1, "E": c.T1, "F": 64 * c.T1, "G": c.T1,
			"H": 64 * c.T1, "I": c.T4, "J": 64 * c.T1, "K": c.T4,
		}[name]
		if got != want {
			t.Errorf("sip.%s = %s, want %s", name, got, want)
		}
	}
	if sip.DefaultLogger() != testLogger {
		t.Error("sip.DefaultLogger is not the logger given to Setup")
	}
	if got := Ensure(); got != c {
		t.Errorf("Ensure after Setup = %s, want %s", got, c)
	}
	if got, ok := Current(); !ok || got != c {
		t.Errorf("Current = %s %t", got, ok)
	}
}

func TestSecondSetupOfTheProcess(t *testing.T) {
	if err := Setup(custom()); err != nil {
		t.Errorf("same settings again: %v", err)
	}
	err := Setup(Defaults())
	if !errors.Is(err, ErrConflict) {
		t.Fatalf("other settings: %v, want ErrConflict", err)
	}
	if sip.UDPMTUSize != custom().UDPMTUSize {
		t.Errorf("a refused Setup changed sip.UDPMTUSize to %d", sip.UDPMTUSize)
	}
}

// recorder is a stack whose apply counts calls instead of writing sipgo.
func recorder() (*stack, *[]Settings) {
	var got []Settings
	var mu sync.Mutex
	return &stack{apply: func(s Settings) { mu.Lock(); got = append(got, s); mu.Unlock() }}, &got
}

func TestStackRules(t *testing.T) {
	other := Defaults()
	other.T1 = time.Second
	other.T2 = 8 * time.Second
	withLogger := Defaults()
	withLogger.Logger = slog.New(slog.DiscardHandler)

	for _, tc := range []struct {
		name    string
		calls   func(st *stack) error
		applied []Settings
		cur     Settings
	}{
		{"setup applies once", func(st *stack) error { return st.setup(other) }, []Settings{other}, other},
		{"same settings twice is a no-op", func(st *stack) error {
			return errors.Join(st.setup(other), st.setup(other))
		}, []Settings{other}, other},
		{"ensure without setup applies the defaults", func(st *stack) error {
			if got := st.ensure(); got != Defaults() {
				return fmt.Errorf("ensure = %s", got)
			}
			return nil
		}, []Settings{Defaults()}, Defaults()},
		{"ensure keeps what setup chose", func(st *stack) error {
			err := st.setup(other)
			if got := st.ensure(); got != other {
				return fmt.Errorf("ensure = %s", got)
			}
			return err
		}, []Settings{other}, other},
		{"setup with the defaults after ensure", func(st *stack) error {
			st.ensure()
			return st.setup(Defaults())
		}, []Settings{Defaults()}, Defaults()},
		{"another logger conflicts", func(st *stack) error {
			if err := st.setup(Defaults()); err != nil {
				return err
			}
			if err := st.setup(withLogger); !errors.Is(err, ErrConflict) {
				return fmt.Errorf("setup with a logger: %v, want ErrConflict", err)
			}
			return nil
		}, []Settings{Defaults()}, Defaults()},
		{"setup after ensure with other settings conflicts", func(st *stack) error {
			st.ensure()
			if err := st.setup(other); !errors.Is(err, ErrConflict) {
				return fmt.Errorf("setup: %v, want ErrConflict", err)
			}
			return nil
		}, []Settings{Defaults()}, Defaults()},
		{"invalid settings apply nothing", func(st *stack) error {
			bad := Defaults()
			bad.T2 = bad.T1
			if err := st.setup(bad); !errors.Is(err, ErrInvalid) {
				return fmt.Errorf("setup: %v, want ErrInvalid", err)
			}
			return nil
		}, nil, Settings{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, got := recorder()
			if err := tc.calls(st); err != nil {
				t.Fatal(err)
			}
			if len(*got) != len(tc.applied) {
				t.Fatalf("applied %v, want %v", *got, tc.applied)
			}
			for i := range tc.applied {
				if (*got)[i] != tc.applied[i] {
					t.Errorf("applied[%d] = %s, want %s", i, (*got)[i], tc.applied[i])
				}
			}
			cur, ok := st.current()
			if cur != tc.cur || ok != (len(tc.applied) > 0) {
				t.Errorf("current = %s %t, want %s", cur, ok, tc.cur)
			}
		})
	}
}

// TestConcurrentSetupAppliesOnce: entry points and constructors may race
// (synctest bubbles, parallel tests); exactly one of them applies.
func TestConcurrentSetupAppliesOnce(t *testing.T) {
	st, got := recorder()
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		wg.Go(func() {
			if i%2 == 0 {
				st.ensure()
				return
			}
			errs <- st.setup(Defaults())
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if len(*got) != 1 || (*got)[0] != Defaults() {
		t.Errorf("applied %v, want the defaults once", *got)
	}
}

func TestValidate(t *testing.T) {
	if err := Defaults().Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	for _, tc := range []struct {
		name string
		edit func(*Settings)
	}{
		{"mtu too small", func(s *Settings) { s.UDPMTUSize = 1400 }},
		{"mtu too large", func(s *Settings) { s.UDPMTUSize = 70000 }},
		{"read buffer too small", func(s *Settings) { s.ReadBufferSize = 1024 }},
		{"t1 zero", func(s *Settings) { s.T1 = 0 }},
		{"t2 not above t1", func(s *Settings) { s.T2 = s.T1 }},
		{"t4 zero", func(s *Settings) { s.T4 = 0 }},
		{"timer 1xx zero", func(s *Settings) { s.Timer1xx = 0 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := Defaults()
			tc.edit(&s)
			if err := s.Validate(); !errors.Is(err, ErrInvalid) {
				t.Errorf("Validate = %v, want ErrInvalid", err)
			}
		})
	}
}
