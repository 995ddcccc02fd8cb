package main

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConformCommand: the command's usage errors, --list, and a target
// that does not answer (exit 1, "nothing could run", the HTML report
// written).
func TestConformCommand(t *testing.T) {
	dir := t.TempDir()
	profile := filepath.Join("..", "..", "conform", "targets", "kamailio.yaml")
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("name: x\nkind: pbx\ncapabilities: [registrar]\nsubscribers:\n  - {number: '1'}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0") // answers nothing
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	silent := pc.LocalAddr().String()
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"no target", []string{"conform", "--profile", profile}, 2, "", "--target HOST:PORT --profile FILE"},
		{"bad profile", []string{"conform", "--target", "127.0.0.1:5060", "--profile", bad}, 2, "", "bad.yaml:5: subscribers[0].password: missing"},
		{"bad tags", []string{"conform", "--target", "127.0.0.1:5060", "--profile", profile, "--tags", "@a &&"}, 2, "", "bad term"},
		{"bad format", []string{"conform", "--target", "127.0.0.1:5060", "--profile", profile, "--format", "html"}, 2, "", `unknown formatter "html"`},
		{"bad target", []string{"conform", "--target", "nowhere", "--profile", profile}, 2, "", "want host:port"},
		{"list", []string{"conform", "--target", "127.0.0.1:5060", "--profile", profile, "--list"}, 0, "★ calls/basic.feature / The callee hangs up", ""},
		{"no answer", []string{"conform", "--target", silent, "--profile", profile, "--out", filepath.Join(dir, "run"), "--format", "progress"}, 1,
			"NOTHING COULD RUN", "nothing could run: probe " + silent},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			if code := run(tc.args, &out, &errb, inProcessSetup()); code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, out.String(), errb.String())
			}
			if !strings.Contains(out.String(), tc.stdout) || !strings.Contains(errb.String(), tc.stderr) {
				t.Fatalf("stdout %q\nstderr %q\nwant %q / %q", out.String(), errb.String(), tc.stdout, tc.stderr)
			}
		})
	}
	if st, err := os.Stat(filepath.Join(dir, "run", "report.html")); err != nil || st.Size() == 0 {
		t.Errorf("no HTML report after the run that could not run: %v", err)
	}
}
