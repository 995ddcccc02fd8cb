package ivr

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// Event shorthands. A PromptDone or Timeout answers the last Play/Wait
// unless old is set (then it carries an older Seq: stale).
type in struct {
	kind  EventKind
	digit byte
	old   bool
}

func start() in            { return in{kind: Start} }
func press(d byte) in      { return in{kind: Digit, digit: d} }
func promptDone() in       { return in{kind: PromptDone} }
func timeout() in          { return in{kind: Timeout} }
func stale(k EventKind) in { return in{kind: k, old: true} }

// out is the expected step: kind, media, target, menu, timeout, and a
// substring of the reason.
type out struct {
	kind    ActionKind
	media   []string
	target  string
	menu    string
	timeout time.Duration
	reason  string
}

func TestMachineJourneys(t *testing.T) {
	cfg := load(t, sample)
	play := func(menu, reason string, media ...string) out {
		return out{kind: Play, media: media, menu: menu, reason: reason}
	}
	wait := func(menu string, d time.Duration) out { return out{kind: Wait, menu: menu, timeout: d} }
	none := func(reason string) out { return out{kind: None, reason: reason} }
	type step struct {
		ev   in
		want out
	}
	for _, tc := range []struct {
		name   string
		number string
		steps  []step
	}{
		{"call after the prompt", "500", []step{
			{start(), play("main", "entry", "12")},
			{promptDone(), wait("main", 4*time.Second)},
			{press('1'), out{kind: Call, target: "1001", menu: "main", reason: "digit 1"}},
		}},
		{"barge-in during the prompt", "500", []step{
			{start(), play("main", "entry", "12")},
			{press('1'), out{kind: Call, target: "1001", menu: "main"}},
		}},
		{"sub-menu with a prompt, then back", "500", []step{
			{start(), play("main", "entry", "12")},
			{press('2'), play("sales", "digit 2", "please-hold", "20")},
			{promptDone(), wait("sales", DefaultTimeout)},
			{press('*'), play("main", "digit *", "12")},
			{press('1'), out{kind: Call, target: "1001", menu: "main"}},
		}},
		{"voicemail", "500", []step{
			{start(), play("main", "entry", "12")},
			{promptDone(), wait("main", 4*time.Second)},
			{press('3'), out{kind: Voicemail, target: "1002", menu: "main", reason: "digit 3"}},
		}},
		{"hang up after goodbye; digits ignored meanwhile", "500", []step{
			{start(), play("main", "entry", "12")},
			{press('0'), play("main", "digit 0", "goodbye")},
			{press('1'), none("digit while leaving")},
			{timeout(), none("unexpected event")},
			{promptDone(), out{kind: Hangup, menu: "main", reason: "digit 0"}},
			{press('1'), none("after the end")},
			{start(), none("after the end")},
		}},
		{"invalid digits: re-prompt, then on_fail menu", "500", []step{
			{start(), play("main", "entry", "12")},
			{promptDone(), wait("main", 4*time.Second)},
			{press('5'), play("main", "invalid digit 5 1/1", "invalid-option", "12")},
			{press('7'), play("operator", "invalid digit 7, retries used up", "30")},
			{press('0'), out{kind: Call, target: "1000", menu: "operator"}},
		}},
		{"timeouts all the way to the operator's fallback", "500", []step{
			{start(), play("main", "entry", "12")},
			{promptDone(), wait("main", 4*time.Second)},
			{timeout(), play("main", "timeout 1/1", "13", "12")},
			{promptDone(), wait("main", 4*time.Second)},
			{timeout(), play("operator", "timeout, retries used up", "30")},
			{promptDone(), wait("operator", DefaultTimeout)},
			{timeout(), play("operator", "timeout, retries used up", "please-hold")},
			{promptDone(), out{kind: Call, target: "1000", menu: "operator", reason: "timeout, retries used up"}},
		}},
		{"repeat replays the prompt and keeps the count", "500", []step{
			{start(), play("main", "entry", "12")},
			{promptDone(), wait("main", 4*time.Second)},
			{timeout(), play("main", "timeout 1/1", "13", "12")},
			{press('9'), play("main", "digit 9", "12")},
			{promptDone(), wait("main", 4*time.Second)},
			{timeout(), play("operator", "retries used up", "30")},
		}},
		{"re-entering a menu resets the count", "500", []step{
			{start(), play("main", "entry", "12")},
			{press('5'), play("main", "invalid digit 5 1/1", "invalid-option", "12")},
			{press('#'), play("main", "digit #", "12")},
			{press('5'), play("main", "invalid digit 5 1/1", "invalid-option", "12")},
		}},
		{"default on_fail hangs up without a prompt", "*77", []step{
			{start(), play("sales", "entry", "20")},
			{press('9'), play("sales", "invalid digit 9 1/2", "20")},
			{press('9'), play("sales", "invalid digit 9 2/2", "20")},
			{press('9'), out{kind: Hangup, menu: "sales", reason: "invalid digit 9, retries used up"}},
			{promptDone(), none("after the end")},
		}},
		{"stale and out-of-order events", "500", []step{
			{press('1'), none("not started")},
			{promptDone(), none("not started")},
			{start(), play("main", "entry", "12")},
			{start(), none("started twice")},
			{timeout(), none("unexpected event")}, // a Timeout while the prompt plays
			{promptDone(), wait("main", 4*time.Second)},
			{stale(PromptDone), none("stale event")},
			{promptDone(), none("unexpected event")}, // PromptDone while waiting
			{press('5'), play("main", "invalid digit 5", "invalid-option", "12")},
			{stale(Timeout), none("stale event")}, // the wait's timer fired late
			{promptDone(), wait("main", 4*time.Second)},
			{in{kind: 99}, none("unexpected event")},
			{press('1'), out{kind: Call, target: "1001"}},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := cfg.NewMachine(tc.number)
			if err != nil {
				t.Fatal(err)
			}
			var seq, prev uint64
			for i, s := range tc.steps {
				ev := Event{Kind: s.ev.kind, Digit: s.ev.digit, Seq: seq}
				if s.ev.old {
					ev.Seq = prev
				}
				got := m.Next(ev)
				w := s.want
				if got.Kind != w.kind || !slices.Equal(got.Media, w.media) || got.Target != w.target ||
					(w.menu != "" && got.Menu != w.menu) || got.Timeout != w.timeout || !strings.Contains(got.Reason, w.reason) {
					t.Fatalf("step %d (%+v): got %+v, want %+v", i, ev, got, w)
				}
				if got.Kind == Play || got.Kind == Wait {
					if got.Seq <= seq {
						t.Fatalf("step %d: Seq %d does not advance past %d", i, got.Seq, seq)
					}
					prev, seq = seq, got.Seq
				}
				if got.Done() != (got.Kind == Call || got.Kind == Voicemail || got.Kind == Hangup) {
					t.Fatalf("Done() wrong for %v", got.Kind)
				}
			}
		})
	}
}

func TestMachineBasics(t *testing.T) {
	cfg := load(t, sample)
	if _, err := cfg.NewMachine("501"); !errors.Is(err, ErrUnknownNumber) {
		t.Fatalf("unknown number: %v", err)
	}
	m, _ := cfg.NewMachine("*77")
	if m.Menu() != "sales" {
		t.Fatalf("entry menu %s", m.Menu())
	}
	for k, want := range map[ActionKind]string{None: "none", Play: "play", Wait: "wait", Call: "call", Voicemail: "voicemail", Hangup: "hangup", 42: "ActionKind(42)"} {
		if k.String() != want {
			t.Errorf("%d: %s", k, k.String())
		}
	}
}
