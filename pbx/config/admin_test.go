package config

import (
	"strings"
	"testing"
)

// TestAdminToken: admin.token is accepted within its bounds, refused
// outside them with the field named and the value never quoted, and
// --print-config redacts it.
func TestAdminToken(t *testing.T) {
	for _, tc := range []struct {
		name, token, want string
	}{
		{"unset", ``, ""},
		{"good", `0123456789abcdef`, ""},
		{"short", `0123456789abcde`, "admin.token: must be at least 16 characters, got 15"},
		{"long", strings.Repeat("a", MaxAdminToken+1), "admin.token: must be at most 1024 characters, got 1025"},
		{"space", `0123456789 abcdef`, "admin.token: may not contain spaces or control characters"},
		{"control", `0123456789\tabcdef`, "admin.token: may not contain spaces or control characters"},
		{"placeholder", RedactedSecret, `admin.token: "(redacted)" is the placeholder`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := "admin:\n  listen: 127.0.0.1:0\n  token: \"" + tc.token + "\"\n"
			c, err := Parse("pbx.yaml", []byte(src))
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				if got := string(c.Admin.Token.Reveal()); got != tc.token {
					t.Errorf("Token = %q, want %q", got, tc.token)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), "pbx.yaml:3: "+tc.want) {
				t.Fatalf("Parse error = %v, want %q", err, tc.want)
			}
			if len(tc.token) > 8 && tc.token != RedactedSecret && strings.Contains(err.Error(), tc.token) {
				t.Errorf("the error quotes the token: %v", err)
			}
		})
	}
}

func TestAdminTokenRedacted(t *testing.T) {
	const tok = "s3cr3t-admin-token-0123"
	c, err := Parse("pbx.yaml", []byte("admin:\n  token: "+tok+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), tok) || !strings.Contains(string(out), "token: "+RedactedSecret) {
		t.Errorf("--print-config shows:\n%s", out)
	}
}

// TestAdminPprof: admin.pprof is off by default, parsed when set, and
// refused without admin.listen, naming the field and its line.
func TestAdminPprof(t *testing.T) {
	c, err := Parse("pbx.yaml", []byte("admin:\n  listen: 127.0.0.1:0\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Admin.Pprof {
		t.Error("admin.pprof is on by default")
	}
	c, err = Parse("pbx.yaml", []byte("admin:\n  listen: 127.0.0.1:0\n  pprof: true\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !c.Admin.Pprof {
		t.Error("admin.pprof: true parsed as false")
	}
	_, err = Parse("pbx.yaml", []byte("admin:\n  pprof: true\n"))
	if err == nil || !strings.Contains(err.Error(), "pbx.yaml:2: admin.pprof: needs admin.listen") {
		t.Errorf("pprof without listen: %v", err)
	}
	_, err = Parse("pbx.yaml", []byte("admin:\n  listen: 127.0.0.1:0\n  pprof: yes please\n"))
	if err == nil || !strings.Contains(err.Error(), "pbx.yaml:3") {
		t.Errorf("pprof not a bool: %v", err)
	}
}
