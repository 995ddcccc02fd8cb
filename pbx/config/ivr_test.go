package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const goodIVR = `numbers:
  "500": main
menus:
  main:
    prompt: goodbye
    options:
      "1": {call: "1001"}
      "2": {menu: sales}
  sales:
    prompt: goodbye
    options:
      "9": {menu: main}
`

// writeIVR writes an IVR file in dir and returns its name.
func writeIVR(t *testing.T, dir, name, body string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestParseIVRs(t *testing.T) {
	dir := t.TempDir()
	writeIVR(t, dir, "main.yaml", goodIVR)
	c, err := Parse(filepath.Join(dir, "pbx.yaml"), []byte("subscribers:\n  - {number: \"1001\", password: x}\nivrs:\n  - file: main.yaml\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.IVRs) != 1 || c.IVRPath(c.IVRs[0]) != filepath.Join(dir, "main.yaml") {
		t.Fatalf("ivrs %+v path %q", c.IVRs, c.IVRPath(c.IVRs[0]))
	}
	cfgs, err := c.LoadIVRs()
	if err != nil || len(cfgs) != 1 || cfgs[0].Numbers["500"] != "main" {
		t.Fatalf("LoadIVRs: %+v, %v", cfgs, err)
	}
	out, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if again, err := Parse(filepath.Join(dir, "printed.yaml"), out); err != nil || len(again.IVRs) != 1 || again.IVRs[0] != c.IVRs[0] {
		t.Fatalf("printed config does not round-trip: %v\n%s", err, out)
	}
}

// TestIVRErrors: a broken IVR file is refused with the configuration,
// naming the configuration's field and line and the IVR file's own line.
func TestIVRErrors(t *testing.T) {
	dir := t.TempDir()
	writeIVR(t, dir, "main.yaml", goodIVR)
	writeIVR(t, dir, "dangling.yaml", strings.Replace(goodIVR, "{menu: sales}", "{menu: salse}", 1))
	writeIVR(t, dir, "loop.yaml", `numbers: {"600": a}
menus:
  a: {prompt: goodbye, on_fail: {menu: b}}
  b: {prompt: goodbye, on_fail: {menu: a}}
`)
	writeIVR(t, dir, "stranger.yaml", strings.Replace(goodIVR, `{call: "1001"}`, `{call: "4711"}`, 1))
	writeIVR(t, dir, "clash.yaml", `numbers: {"1000": m}
menus:
  m: {prompt: goodbye}
`)
	tests := []struct{ name, yaml, want string }{
		{"missing file", "ivrs:\n  - file: nope.yaml\n", "pbx.yaml:2: ivrs[0].file"},
		{"empty file name", "ivrs:\n  - file: \"\"\n", "file is required"},
		{"dangling menu", "ivrs:\n  - file: dangling.yaml\n", "dangling.yaml:8:"},
		{"failure loop", "ivrs:\n  - file: loop.yaml\n", "loop.yaml:"},
		{"number of a subscriber", "subscribers:\n  - {number: \"1000\", password: x}\nivrs:\n  - file: clash.yaml\n", `clash.yaml is also subscriber 1000`},
		{"extension that is no subscriber", "subscribers:\n  - {number: \"1001\", password: x}\nivrs:\n  - file: stranger.yaml\n", "menu main, option 1 calls 4711, which is no subscriber"},
		{"number twice", "ivrs:\n  - file: main.yaml\n  - file: main.yaml\n", `main.yaml is also ivrs[0].file`},
		{"number of a room", "conferences:\n  - number: \"500\"\nivrs:\n  - file: main.yaml\n", "is also conferences[0]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(filepath.Join(dir, "pbx.yaml"), []byte(tc.yaml))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
}
