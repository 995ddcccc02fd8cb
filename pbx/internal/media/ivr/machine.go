package ivr

import (
	"fmt"
	"time"
)

// EventKind is what happened to the caller.
type EventKind uint8

// Events a Machine takes.
const (
	Start      EventKind = iota + 1 // the call reached the IVR (answered)
	Digit                           // the caller pressed a key (RFC 4733 or SIP INFO)
	PromptDone                      // the Play of the action with this Seq finished
	Timeout                         // the Wait of the action with this Seq expired
)

// Event is one input to Next. Seq echoes the Seq of the Play (PromptDone)
// or Wait (Timeout) action it answers; an event of an older Seq is stale
// (a timer that fired as a digit arrived) and ignored. Digits need no Seq.
type Event struct {
	Kind  EventKind
	Digit byte // Digit: '0'-'9', '*', '#', 'A'-'D'
	Seq   uint64
}

// ActionKind is what the media server must do.
type ActionKind uint8

// Actions a Machine returns.
const (
	None      ActionKind = iota // nothing (a stale or ignored event)
	Play                        // play Media in order (replacing what plays), then send PromptDone{Seq}; a digit may cut it (barge-in)
	Wait                        // start a Timeout timer for the duration, then send Timeout{Seq}
	Call                        // leave the IVR: call the extension Target
	Voicemail                   // leave the IVR: voicemail of mailbox Target
	Hangup                      // leave the IVR: hang up
)

// String names the kind.
func (k ActionKind) String() string {
	switch k {
	case None:
		return "none"
	case Play:
		return "play"
	case Wait:
		return "wait"
	case Call:
		return "call"
	case Voicemail:
		return "voicemail"
	case Hangup:
		return "hangup"
	}
	return fmt.Sprintf("ActionKind(%d)", k)
}

// Step is the answer of Next.
type Step struct {
	Kind    ActionKind
	Media   []string      // Play: media IDs
	Timeout time.Duration // Wait
	Target  string        // Call, Voicemail
	Seq     uint64        // Play, Wait: to echo in PromptDone / Timeout
	Menu    string        // the menu the caller is in (for logs)
	Reason  string        // why (for logs): "entry", "invalid digit 7", "timeout 2/3", …
}

// Done reports whether the step leaves the IVR.
func (s Step) Done() bool { return s.Kind == Call || s.Kind == Voicemail || s.Kind == Hangup }

type state uint8

const (
	idle      state = iota // before Start
	prompting              // a menu's prompt plays
	waiting                // the digit timer runs
	finishing              // an exit's prompt plays, then the exit
	done
)

// Machine is one caller's journey through the IVR: a pure state machine,
// not safe for concurrent use (the call's executor drives it).
//
// The media server calls Next with Start when the call is answered, then
// with every digit, with PromptDone when a Play ends and with Timeout when
// a Wait expires, and does what each Step says. A menu plays its prompt,
// then waits Timeout for a digit (a digit during the prompt is taken at
// once). A digit with an option runs it; a wrong digit or a timeout counts
// a try: after the menu's Retries re-prompts (each preceded by its
// invalid_prompt or timeout_prompt) the next failure runs on_fail (hang-up
// by default). Entering a menu starts its count afresh; repeat does not.
type Machine struct {
	cfg     *Config
	menu    *Menu
	state   state
	fails   int
	seq     uint64
	pending Step // finishing: the exit to return after its prompt
}

// NewMachine returns a Machine for a call to the IVR number.
func (c *Config) NewMachine(number string) (*Machine, error) {
	entry, ok := c.Numbers[number]
	if !ok {
		return nil, fmt.Errorf("start ivr %s: %w", number, ErrUnknownNumber)
	}
	return &Machine{cfg: c, menu: c.Menus[entry]}, nil
}

// Menu returns the name of the current menu.
func (m *Machine) Menu() string { return m.menu.Name }

// Next takes an event and returns what to do.
func (m *Machine) Next(ev Event) Step {
	switch {
	case m.state == done:
		return m.none("after the end")
	case ev.Kind == Start:
		if m.state != idle {
			return m.none("started twice")
		}
		return m.enter(m.menu, "", "entry")
	case m.state == idle:
		return m.none("not started")
	case ev.Kind == Digit:
		if m.state != prompting && m.state != waiting {
			return m.none("digit while leaving")
		}
		return m.digit(ev.Digit)
	case ev.Seq != m.seq:
		return m.none("stale event")
	case ev.Kind == PromptDone && m.state == prompting:
		m.state, m.seq = waiting, m.seq+1
		return Step{Kind: Wait, Timeout: m.menu.Timeout, Seq: m.seq, Menu: m.menu.Name, Reason: "prompt done"}
	case ev.Kind == PromptDone && m.state == finishing:
		m.state = done
		return m.pending
	case ev.Kind == Timeout && m.state == waiting:
		return m.fail(m.menu.TimeoutPrompt, "timeout")
	}
	return m.none("unexpected event")
}

func (m *Machine) none(why string) Step {
	return Step{Kind: None, Menu: m.menu.Name, Reason: why}
}

// enter plays a menu's prompt (after first, when set) with a fresh count.
func (m *Machine) enter(menu *Menu, first, why string) Step {
	m.menu, m.fails = menu, 0
	return m.play(why, first, menu.Prompt)
}

// play plays media IDs (empty ones skipped) then waits for digits.
func (m *Machine) play(why string, ids ...string) Step {
	var media []string
	for _, id := range ids {
		if id != "" {
			media = append(media, id)
		}
	}
	m.state, m.seq = prompting, m.seq+1
	return Step{Kind: Play, Media: media, Seq: m.seq, Menu: m.menu.Name, Reason: why}
}

func (m *Machine) digit(d byte) Step {
	a := m.menu.Options[string(d)]
	if a == nil {
		return m.fail(m.menu.InvalidPrompt, fmt.Sprintf("invalid digit %c", d))
	}
	return m.run(a, fmt.Sprintf("digit %c", d))
}

// fail counts a wrong digit or a timeout: re-prompt, or on_fail when the
// retries are used up.
func (m *Machine) fail(prompt, why string) Step {
	m.fails++
	if m.fails > m.menu.retries() {
		if m.menu.OnFail == nil {
			return m.exit(Step{Kind: Hangup}, "", why+", retries used up")
		}
		return m.run(m.menu.OnFail, why+", retries used up")
	}
	return m.play(fmt.Sprintf("%s %d/%d", why, m.fails, m.menu.retries()), prompt, m.menu.Prompt)
}

func (m *Machine) run(a *Action, why string) Step {
	switch {
	case a.Menu != "":
		return m.enter(m.cfg.Menus[a.Menu], a.Prompt, why)
	case a.Repeat:
		return m.play(why, a.Prompt, m.menu.Prompt)
	case a.Call != "":
		return m.exit(Step{Kind: Call, Target: a.Call}, a.Prompt, why)
	case a.Voicemail != "":
		return m.exit(Step{Kind: Voicemail, Target: a.Voicemail}, a.Prompt, why)
	}
	return m.exit(Step{Kind: Hangup}, a.Prompt, why)
}

// exit leaves the IVR, after prompt when set.
func (m *Machine) exit(s Step, prompt, why string) Step {
	s.Menu, s.Reason = m.menu.Name, why
	if prompt == "" {
		m.state = done
		return s
	}
	m.pending = s
	m.state, m.seq = finishing, m.seq+1
	return Step{Kind: Play, Media: []string{prompt}, Seq: m.seq, Menu: m.menu.Name, Reason: why}
}
