package ivr

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// sample is a complete IVR: two numbers, a main menu with every kind of
// option, a sub-menu, and an operator menu main falls back to.
const sample = `numbers:
  "500": main
  "*77": sales
menus:
  main:
    prompt: "12"
    timeout: 4s
    retries: 1
    invalid_prompt: invalid-option
    timeout_prompt: "13"
    options:
      "1": {call: "1001"}
      "2": {menu: sales, prompt: please-hold}
      "3": {voicemail: "1002"}
      "9": {repeat: true}
      "0": {hangup: true, prompt: goodbye}
      "#": {menu: main}
    on_fail: {menu: operator}
  sales:
    prompt: "20"
    options:
      "1": {call: "2001"}
      "*": {menu: main}
  operator:
    prompt: "30"
    retries: 0
    options:
      "0": {call: "1000"}
    on_fail: {call: "1000", prompt: please-hold}
`

func load(t *testing.T, doc string, opts ...Option) *Config {
	t.Helper()
	cfg, err := Load(strings.NewReader(doc), "ivr.yaml", opts...)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestLoadSample(t *testing.T) {
	cfg := load(t, sample)
	if len(cfg.Numbers) != 2 || cfg.Numbers["*77"] != "sales" || len(cfg.Menus) != 3 {
		t.Fatalf("numbers %v menus %d", cfg.Numbers, len(cfg.Menus))
	}
	main := cfg.Menus["main"]
	if main.Name != "main" || main.Timeout != 4*time.Second || main.retries() != 1 || main.Options["2"].Menu != "sales" || main.OnFail.Menu != "operator" {
		t.Fatalf("main %+v", main)
	}
	sales := cfg.Menus["sales"]
	if sales.Timeout != DefaultTimeout || sales.retries() != DefaultRetries || sales.OnFail != nil {
		t.Fatalf("sales defaults %+v", sales)
	}
	if cfg.Menus["operator"].retries() != 0 {
		t.Fatal("explicit retries: 0 lost")
	}
	known := map[string]bool{"12": true, "13": true, "20": true, "30": true, "invalid-option": true, "please-hold": true, "goodbye": true}
	if _, err := Load(strings.NewReader(sample), "ivr.yaml", WithMediaIDs(func(id string) bool { return known[id] })); err != nil {
		t.Fatalf("all media IDs known: %v", err)
	}
	delete(known, "please-hold")
	_, err := Load(strings.NewReader(sample), "ivr.yaml", WithMediaIDs(func(id string) bool { return known[id] }))
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), `ivr.yaml:13: menu main option 2: prompt: unknown media ID "please-hold"`) ||
		!strings.Contains(err.Error(), `ivr.yaml:29: menu operator on_fail: prompt: unknown media ID "please-hold"`) {
		t.Fatalf("unknown media ID: %v", err)
	}
}

func TestLoadFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ivr.yaml")
	if err := os.WriteFile(path, []byte(sample), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadFile(path); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadFile(path + ".missing"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
}

// TestLoadRefuses: each broken file is refused with file:line and the
// reason.
func TestLoadRefuses(t *testing.T) {
	const one = "numbers: {\"500\": main}\nmenus:\n  main:\n    prompt: p\n"
	for _, tc := range []struct {
		name, doc, want string
	}{
		{"empty", "", "ivr.yaml:1: an IVR file is a mapping"},
		{"not a mapping", "- a\n", "ivr.yaml:1: an IVR file is a mapping"},
		{"syntax", "numbers: [\n", "ivr.yaml:1: did not find expected node content"},
		{"unknown field", one + "    colour: red\n", "ivr.yaml:5: field colour not found"},
		{"unknown top field", one + "extra: 1\n", "ivr.yaml:5: field extra not found"},
		{"unknown action field", one + "    options: {\"1\": {dial: \"1001\"}}\n", "ivr.yaml:5: field dial not found"},
		{"wrong type", one + "    retries: many\n", "ivr.yaml:5: cannot unmarshal !!str `many` into int"},
		{"bad duration", one + "    timeout: soon\n", "ivr.yaml:5: cannot unmarshal !!str `soon`"},
		{"duplicate key", one + "    prompt: q\n", "ivr.yaml:5: mapping key \"prompt\" already defined at line 4"},
		{"two documents", one + "---\nnumbers: {}\n", "ivr.yaml:5: more than one YAML document"},
		{"no numbers", "menus:\n  main: {prompt: p}\n", "ivr.yaml: no IVR numbers"},
		{"no menus", "numbers: {\"500\": main}\n", "ivr.yaml:1: IVR number 500: entry menu \"main\" is not defined"},
		{"bad number", "numbers: {\"50x\": main}\nmenus:\n  main: {prompt: p}\n", "ivr.yaml:1: IVR number \"50x\": only 0-9 * # + allowed"},
		{"dangling entry", "numbers:\n  \"500\": mian\nmenus:\n  main: {prompt: p}\n", "ivr.yaml:2: IVR number 500: entry menu \"mian\" is not defined"},
		{"no prompt", "numbers: {\"500\": main}\nmenus:\n  main: {timeout: 3s}\n", "ivr.yaml:3: menu main: no prompt"},
		{"null menu", "numbers: {\"500\": main}\nmenus:\n  main:\n", "ivr.yaml:3: menu main: no prompt"},
		{"timeout too long", one + "    timeout: 2m\n", "ivr.yaml:5: menu main: timeout 2m0s: want more than 0 and at most 1m0s"},
		{"negative timeout", one + "    timeout: -1s\n", "ivr.yaml:5: menu main: timeout -1s"},
		{"retries too many", one + "    retries: 11\n", "ivr.yaml:5: menu main: retries 11: want 0 to 10"},
		{"negative retries", one + "    retries: -1\n", "ivr.yaml:5: menu main: retries -1"},
		{"option not a digit", one + "    options:\n      \"12\": {call: \"1\"}\n", "ivr.yaml:6: menu main: option \"12\": not a DTMF digit"},
		{"option E", one + "    options:\n      E: {call: \"1\"}\n", "ivr.yaml:6: menu main: option \"E\": not a DTMF digit"},
		{"two actions", one + "    options:\n      \"1\": {call: \"1\", hangup: true}\n", "ivr.yaml:6: menu main option 1: want exactly one of call, menu, voicemail, repeat: true, hangup: true (got 2)"},
		{"no action", one + "    options:\n      \"1\": {prompt: p}\n", "ivr.yaml:6: menu main option 1: want exactly one of"},
		{"repeat false", one + "    options:\n      \"1\": {repeat: false}\n", "ivr.yaml:6: menu main option 1: want exactly one of"},
		{"null action", one + "    options:\n      \"1\":\n", "ivr.yaml:6: menu main option 1: empty action"},
		{"dangling menu", one + "    options:\n      \"2\": {menu: sales}\n", "ivr.yaml:6: menu main option 2: menu \"sales\" is not defined"},
		{"dangling on_fail", one + "    on_fail: {menu: operator}\n", "ivr.yaml:5: menu main on_fail: menu \"operator\" is not defined"},
		{"repeat on_fail", one + "    on_fail: {repeat: true}\n", "ivr.yaml:5: menu main: on_fail cannot be repeat"},
		{"unreachable", one + "  orphan: {prompt: p}\n", "ivr.yaml:5: menu orphan: unreachable from every IVR number"},
		{"self failure loop", one + "    on_fail: {menu: main}\n", "ivr.yaml:5: menu main: on_fail menus loop (main -> main)"},
		{"failure loop", "numbers: {\"500\": a}\nmenus:\n  a: {prompt: p, on_fail: {menu: b}}\n  b: {prompt: p, on_fail: {menu: c}}\n  c: {prompt: p, on_fail: {menu: a}}\n",
			"ivr.yaml:3: menu a: on_fail menus loop (a -> b -> c -> a)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(strings.NewReader(tc.doc), "ivr.yaml")
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v is not ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error\n%v\nwant it to contain\n%s", err, tc.want)
			}
		})
	}
}

// TestLoadAllowsChosenLoops: menus that lead back to each other by the
// caller's choice are fine, and so is a failure chain that ends.
func TestLoadAllowsChosenLoops(t *testing.T) {
	load(t, "numbers: {\"500\": a}\nmenus:\n  a: {prompt: p, options: {\"1\": {menu: b}}, on_fail: {menu: b}}\n  b: {prompt: p, options: {\"9\": {menu: a}}, on_fail: {hangup: true}}\n")
}

func TestLoadReportsEveryProblem(t *testing.T) {
	_, err := Load(strings.NewReader("numbers: {\"500\": main, \"501\": nope}\nmenus:\n  main:\n    prompt: p\n    options: {\"x\": {menu: ghost}}\n  orphan: {}\n"), "ivr.yaml")
	var n int
	for _, want := range []string{"entry menu \"nope\"", "option \"x\"", "menu \"ghost\"", "menu orphan: no prompt", "menu orphan: unreachable"} {
		if strings.Contains(err.Error(), want) {
			n++
		} else {
			t.Errorf("%q missing from %v", want, err)
		}
	}
	if n != 5 {
		t.Fatalf("%d of 5 problems reported", n)
	}
}

func TestLoadTooLarge(t *testing.T) {
	_, err := Load(strings.NewReader(strings.Repeat("#", MaxFileSize+1)), "big.yaml")
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("large file: %v", err)
	}
}
