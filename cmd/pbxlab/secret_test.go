package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestNonceSecretOnTheCommandLine: --print-config never prints
// auth.nonce_secret, and a bad one is a configuration error naming file,
// line and field (without quoting the secret).
func TestNonceSecretOnTheCommandLine(t *testing.T) {
	dir := t.TempDir()
	const secret = "0f1e2d3c4b5a69788796a5b4c3d2e1f0-do-not-print"
	good := filepath.Join(dir, "good.yaml")
	bad := filepath.Join(dir, "bad.yaml")
	for path, yaml := range map[string]string{
		good: "auth:\n  nonce_secret: \"" + secret + "\"\nsubscriber_ranges: [{from: \"1000\", to: \"1001\", password: \"pw{n}\"}]\n",
		bad:  "auth:\n  nonce_ttl: 5m\n  nonce_secret: \"short-secret\"\n",
	} {
		if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var out, errb bytes.Buffer
	if code := run([]string{"serve", "--config", good, "--store", filepath.Join(dir, "pbx.db"), "--print-config"}, &out, &errb, inProcessSetup()); code != 0 {
		t.Fatalf("--print-config: exit %d: %s", code, errb.String())
	}
	if strings.Contains(out.String()+errb.String(), secret) {
		t.Fatalf("--print-config shows the secret:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "nonce_secret: (redacted)") {
		t.Errorf("--print-config does not show that a secret is set:\n%s", out.String())
	}
	out.Reset()
	errb.Reset()
	code := run([]string{"serve", "--check-config", bad}, &out, &errb, inProcessSetup())
	want := bad + ":3: auth.nonce_secret: must be at least 32 characters, got 12"
	if code != 1 || !strings.Contains(errb.String(), want) || strings.Contains(errb.String(), "short-secret") {
		t.Fatalf("exit %d, stderr %q, want %q without the secret", code, errb.String(), want)
	}
}
