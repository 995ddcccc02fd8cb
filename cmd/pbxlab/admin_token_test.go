package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAdminTokenSources: the admin API's token comes from
// --admin-token-file (first line), else $PBXLAB_ADMIN_TOKEN, else the
// configuration; --print-config never shows it, and a bad one is refused
// naming admin.token without quoting it.
func TestAdminTokenSources(t *testing.T) {
	dir := t.TempDir()
	const fromEnv = "env-token-0123456789abcdef"
	const fromFile = "file-token-0123456789abcdef"
	file := filepath.Join(dir, "token")
	if err := os.WriteFile(file, []byte(fromFile+"\r\nsecond line\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	short := filepath.Join(dir, "short")
	if err := os.WriteFile(short, []byte("tiny-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv(adminTokenEnv, fromEnv)
	for _, tc := range []struct {
		name  string
		args  []string
		code  int
		want  string
		never []string
	}{
		{"env", nil, 0, "token: (redacted)", []string{fromEnv}},
		{"file over env", []string{"--admin-token-file", file}, 0, "token: (redacted)", []string{fromEnv, fromFile}},
		{"short file", []string{"--admin-token-file", short}, 1, "admin.token: must be at least 16 characters, got 10", []string{"tiny-token"}},
		{"missing file", []string{"--admin-token-file", filepath.Join(dir, "none")}, 1, "admin token: open", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			args := append([]string{"serve", "--store", filepath.Join(dir, "pbx.db"), "--print-config"}, tc.args...)
			code := run(args, &out, &errb, inProcessSetup())
			all := out.String() + errb.String()
			if code != tc.code || !strings.Contains(all, tc.want) {
				t.Fatalf("exit %d, output %q, want exit %d and %q", code, all, tc.code, tc.want)
			}
			for _, s := range tc.never {
				if strings.Contains(all, s) {
					t.Errorf("output shows the token %q", s)
				}
			}
		})
	}
}
