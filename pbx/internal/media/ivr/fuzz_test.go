package ivr

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzLoad: arbitrary YAML never panics the loader; whatever it accepts is
// safe to run: from every number a caller who never presses a key leaves
// the IVR within a bounded number of steps (the failure chains end), and a
// caller pressing the fuzz input's bytes as digits never gets an
// inconsistent step.
func FuzzLoad(f *testing.F) {
	f.Add([]byte(sample))
	f.Add([]byte("numbers: {\"500\": a}\nmenus:\n  a: {prompt: p, on_fail: {menu: b}}\n  b: {prompt: p, on_fail: {menu: a}}\n"))
	f.Add([]byte("numbers: {\"1\": a}\nmenus: {a: {prompt: p, retries: 0, options: {\"1\": {menu: a}}}}\n"))
	f.Add([]byte("numbers: {\"1\": a}\nmenus: {a: {prompt: p, options: {\"#\": {repeat: true}}, on_fail: {voicemail: \"9\"}}}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Load(bytes.NewReader(data), "fuzz.yaml")
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error outside ErrInvalid: %v", err)
			}
			return
		}
		bound := 2
		for _, m := range cfg.Menus {
			bound += 2*(m.retries()+1) + 2
		}
		for number := range cfg.Numbers {
			m, err := cfg.NewMachine(number)
			if err != nil {
				t.Fatal(err)
			}
			ev := Event{Kind: Start}
			for i := 0; ; i++ {
				if i > bound {
					t.Fatalf("number %s: a silent caller is still in the IVR after %d steps", number, bound)
				}
				s := m.Next(ev)
				switch s.Kind {
				case Play:
					if len(s.Media) == 0 {
						t.Fatalf("Play of nothing: %+v", s)
					}
					ev = Event{Kind: PromptDone, Seq: s.Seq}
				case Wait:
					ev = Event{Kind: Timeout, Seq: s.Seq}
				case None:
					t.Fatalf("silent caller got None: %+v", s)
				}
				if s.Done() {
					break
				}
			}
			// A caller pressing the input's bytes as digits.
			m, _ = cfg.NewMachine(number)
			s := m.Next(Event{Kind: Start})
			for _, d := range data {
				if s.Done() {
					break
				}
				s = m.Next(Event{Kind: Digit, Digit: d})
				if s.Kind == Play && len(s.Media) == 0 || s.Kind == Wait && s.Timeout <= 0 {
					t.Fatalf("inconsistent step %+v", s)
				}
			}
		}
	})
}
