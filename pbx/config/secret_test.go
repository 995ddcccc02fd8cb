package config

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

const testSecret = "7f3a9c1e5b2d4f608a1c3e5f7b9d0a2c-node-secret"

// TestNonceSecretNeverShown: the secret is accepted, Reveal gives it back,
// and neither --print-config, fmt nor slog show it.
func TestNonceSecretNeverShown(t *testing.T) {
	c, err := Parse("pbx.yaml", []byte("auth:\n  nonce_secret: \""+testSecret+"\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := string(c.Auth.NonceSecret.Reveal()); got != testSecret {
		t.Fatalf("Reveal() = %q", got)
	}
	out, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	slog.New(slog.NewTextHandler(&logs, nil)).Info("config", "auth", c.Auth, "secret", c.Auth.NonceSecret)
	for what, text := range map[string]string{
		"Marshal":   string(out),
		"%v":        fmt.Sprintf("%v", c),
		"%+v":       fmt.Sprintf("%+v", c.Auth),
		"%#v":       fmt.Sprintf("%#v", c.Auth),
		"%s":        fmt.Sprintf("%s", c.Auth.NonceSecret),
		"%q":        fmt.Sprintf("%q", c.Auth.NonceSecret),
		"%x":        fmt.Sprintf("%x", c.Auth.NonceSecret),
		"slog text": logs.String(),
	} {
		if strings.Contains(text, testSecret) || strings.Contains(text, fmt.Sprintf("%x", testSecret)) {
			t.Errorf("%s shows the secret: %s", what, text)
		}
	}
	if !strings.Contains(string(out), "nonce_secret: "+RedactedSecret) {
		t.Errorf("--print-config does not say the secret is set:\n%s", out)
	}
	// The printed file is refused rather than run with the placeholder as key.
	if _, err := Parse("printed.yaml", out); err == nil || !strings.Contains(err.Error(), "auth.nonce_secret: \"(redacted)\" is the placeholder") {
		t.Errorf("Parse(printed) = %v", err)
	}
}

func TestNonceSecretUnset(t *testing.T) {
	c := Defaults()
	if c.Auth.NonceSecret.Reveal() != nil || c.Auth.NonceSecret.String() != "" {
		t.Errorf("default secret %q", c.Auth.NonceSecret.Reveal())
	}
	out, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), `nonce_secret: ""`) {
		t.Errorf("unset secret printed as:\n%s", out)
	}
}
