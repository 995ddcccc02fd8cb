package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestRunUsageAndConfigErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("sip:\n  listen: [\"udp:127.0.0.1:5060\"]\nregistrar:\n  min_expire: 60\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(dir, "good.yaml")
	if err := os.WriteFile(good, []byte("subscriber_ranges: [{from: \"1000\", to: \"1009\", password: \"pw{n}\"}]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"no command", nil, 2, "", "usage: pbxlab"},
		{"unknown command", []string{"fly"}, 2, "", `unknown command "fly"`},
		{"help", []string{"help"}, 0, "commands:", ""},
		{"bad config names file line field", []string{"serve", "--check-config", bad}, 1, "", "bad.yaml:4: registrar: unknown field \"min_expire\""},
		{"good config", []string{"serve", "--check-config", good}, 0, "good.yaml: ok", ""},
		{"sim needs a scenario", []string{"sim"}, 2, "", "SCENARIO.yaml"},
		{"cdr bad since", []string{"cdr", "--store", filepath.Join(dir, "x.db"), "--since", "yesterday"}, 2, "", "--since"},
		{"cdr missing store", []string{"cdr", "--store", filepath.Join(dir, "x.db"), "--format", "csv"}, 1, "", "no such file"},
		{"cdr not a store", []string{"cdr", "--store", good}, 1, "", "not a database"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			if code := run(tc.args, &out, &errb, inProcessSetup()); code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, out.String(), errb.String())
			}
			if !strings.Contains(out.String(), tc.stdout) || !strings.Contains(errb.String(), tc.stderr) {
				t.Fatalf("stdout %q / stderr %q, want %q / %q", out.String(), errb.String(), tc.stdout, tc.stderr)
			}
		})
	}
}

func TestParseSince(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"1h":                   now.Add(-time.Hour),
		"90m":                  now.Add(-90 * time.Minute),
		"2026-11-24T00:00:00Z": time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC),
	} {
		got, err := parseSince(in, now)
		if err != nil || !got.Equal(want) {
			t.Errorf("parseSince(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := parseSince("yesterday", now); err == nil {
		t.Error("parseSince accepted garbage")
	}
}
