package ivr

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// dtmfKeys are the digits an option may use.
const dtmfKeys = "0123456789*#ABCD"

// numberChars are the characters of an IVR number.
const numberChars = "0123456789*#+"

type validator struct {
	cfg     *Config
	file    string
	root    *yaml.Node // the document's top mapping
	mediaID func(string) bool
	errs    []error
}

// validate checks the decoded configuration and returns every problem:
//
//   - at least one number; each number is made of 0-9 * # + and names a
//     defined entry menu;
//   - at least one menu; each has a prompt; timeout in (0, 60s]; retries in
//     [0, 10];
//   - every media ID (prompt, invalid_prompt, timeout_prompt, an action's
//     prompt) is known, when Load was given WithMediaIDs;
//   - each option key is one DTMF digit (0-9 * # A-D);
//   - each action is exactly one of call, menu, voicemail, repeat, hangup;
//     call and voicemail name a non-empty target; repeat and hangup are
//     true; menu names a defined menu (no dangling reference);
//   - on_fail is not repeat (a caller who never presses a key would hear the
//     prompt forever);
//   - every menu is reachable from some number's entry menu through option
//     and on_fail menu actions (an unreachable menu is a typo or dead
//     configuration);
//   - the failure chains end: following on_fail menu actions from any menu
//     reaches a menu whose on_fail is a call, voicemail or hang-up (the
//     default) without coming back to a menu already visited. So a caller
//     who never presses a key, or keeps pressing wrong keys, always leaves
//     the IVR after a bounded number of prompts; a caller who chooses menus
//     that lead back to each other (1 -> sales, 9 -> main) may circle, by
//     their own choice.
func (v *validator) validate() []error {
	cfg := v.cfg
	if len(cfg.Numbers) == 0 {
		v.errorf(v.line("numbers"), "no IVR numbers")
	}
	if len(cfg.Menus) == 0 {
		v.errorf(v.line("menus"), "no menus")
	}
	for _, num := range slices.Sorted(maps.Keys(cfg.Numbers)) {
		entry := cfg.Numbers[num]
		line := v.line("numbers", num)
		switch {
		case num == "" || strings.Trim(num, numberChars) != "":
			v.errorf(line, "IVR number %q: only 0-9 * # + allowed", num)
		case cfg.Menus[entry] == nil:
			v.errorf(line, "IVR number %s: entry menu %q is not defined", num, entry)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(cfg.Menus)) {
		v.menu(cfg.Menus[name])
	}
	v.reachable()
	v.failureChains()
	return v.errs
}

func (v *validator) menu(m *Menu) {
	at := func(path ...string) int { return v.line(append([]string{"menus", m.Name}, path...)...) }
	if m.Name == "" {
		v.errorf(at(), "a menu has an empty name")
	}
	if m.Prompt == "" {
		v.errorf(at(), "menu %s: no prompt", m.Name)
	}
	v.media(at("prompt"), m.Name, "prompt", m.Prompt)
	v.media(at("invalid_prompt"), m.Name, "invalid_prompt", m.InvalidPrompt)
	v.media(at("timeout_prompt"), m.Name, "timeout_prompt", m.TimeoutPrompt)
	if m.Timeout <= 0 || m.Timeout > MaxTimeout {
		v.errorf(at("timeout"), "menu %s: timeout %v: want more than 0 and at most %v", m.Name, m.Timeout, MaxTimeout)
	}
	if r := m.retries(); r < 0 || r > MaxRetries {
		v.errorf(at("retries"), "menu %s: retries %d: want 0 to %d", m.Name, r, MaxRetries)
	}
	for _, key := range slices.Sorted(maps.Keys(m.Options)) {
		line := at("options", key)
		if len(key) != 1 || !strings.Contains(dtmfKeys, key) {
			v.errorf(line, "menu %s: option %q: not a DTMF digit (0-9 * # A-D)", m.Name, key)
		}
		v.action(line, fmt.Sprintf("menu %s option %s", m.Name, key), m.Options[key])
	}
	if m.OnFail != nil {
		line := at("on_fail")
		v.action(line, fmt.Sprintf("menu %s on_fail", m.Name), m.OnFail)
		if m.OnFail.Repeat {
			v.errorf(line, "menu %s: on_fail cannot be repeat: a caller who never presses a key would hear the prompt forever", m.Name)
		}
	}
}

func (v *validator) action(line int, where string, a *Action) {
	if a == nil {
		v.errorf(line, "%s: empty action", where)
		return
	}
	n := 0
	for _, set := range []bool{a.Call != "", a.Menu != "", a.Voicemail != "", a.Repeat, a.Hangup} {
		if set {
			n++
		}
	}
	if n != 1 {
		v.errorf(line, "%s: want exactly one of call, menu, voicemail, repeat: true, hangup: true (got %d)", where, n)
	}
	if a.Menu != "" && v.cfg.Menus[a.Menu] == nil {
		v.errorf(line, "%s: menu %q is not defined", where, a.Menu)
	}
	v.media(line, where, "prompt", a.Prompt)
}

func (v *validator) media(line int, where, field, id string) {
	if id != "" && v.mediaID != nil && !v.mediaID(id) {
		v.errorf(line, "%s: %s: unknown media ID %q", where, field, id)
	}
}

// reachable reports the menus no number's entry leads to.
func (v *validator) reachable() {
	seen := map[string]bool{}
	var stack []string
	for _, entry := range v.cfg.Numbers {
		stack = append(stack, entry)
	}
	for len(stack) > 0 {
		name := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		m := v.cfg.Menus[name]
		if m == nil || seen[name] {
			continue
		}
		seen[name] = true
		for _, a := range m.Options {
			if a != nil && a.Menu != "" {
				stack = append(stack, a.Menu)
			}
		}
		if m.OnFail != nil && m.OnFail.Menu != "" {
			stack = append(stack, m.OnFail.Menu)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(v.cfg.Menus)) {
		if !seen[name] && len(v.cfg.Numbers) > 0 {
			v.errorf(v.line("menus", name), "menu %s: unreachable from every IVR number", name)
		}
	}
}

// failureChains reports on_fail menu chains that come back on themselves.
func (v *validator) failureChains() {
	reported := map[string]bool{}
	for _, start := range slices.Sorted(maps.Keys(v.cfg.Menus)) {
		visited := map[string]bool{}
		path := []string{}
		for name := start; ; {
			m := v.cfg.Menus[name]
			if m == nil || m.OnFail == nil || m.OnFail.Menu == "" {
				break // a terminal action (or hang-up by default) ends the chain
			}
			if visited[name] {
				// Report each loop once, at the menu that closes it.
				if !reported[name] {
					for _, n := range path {
						reported[n] = true
					}
					v.errorf(v.line("menus", name, "on_fail"), "menu %s: on_fail menus loop (%s -> %s): a caller who never presses a key would never leave", name, strings.Join(path[slices.Index(path, name):], " -> "), name)
				}
				break
			}
			visited[name] = true
			path = append(path, name)
			name = m.OnFail.Menu
		}
	}
}

func (v *validator) errorf(line int, format string, args ...any) {
	v.errs = append(v.errs, &Error{File: v.file, Line: line, Msg: fmt.Sprintf(format, args...)})
}

// line returns the line of the key at path in the document (the deepest
// part of the path that exists), 0 if even the first is missing.
func (v *validator) line(path ...string) int {
	n, line := v.root, 0
	for _, key := range path {
		if n == nil || n.Kind != yaml.MappingNode {
			break
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				line, next = n.Content[i].Line, n.Content[i+1]
				break
			}
		}
		if next == nil {
			break
		}
		n = next
	}
	return line
}
