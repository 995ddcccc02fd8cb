package config

import (
	"log/slog"
	"reflect"
)

// Secret is a configuration value that must not be shown: its String,
// GoString and slog value are RedactedSecret (or "" when empty), and
// Marshal (--print-config) prints RedactedSecret in its place. Reveal
// returns the value itself.
type Secret string

// RedactedSecret stands for a set Secret wherever the configuration is
// shown. Validate rejects it as a value, so a printed configuration fed back
// unchanged fails loudly instead of running with the placeholder as the key.
const RedactedSecret = "(redacted)"

// Reveal returns the secret's bytes; nil when it is not set.
func (s Secret) Reveal() []byte {
	if s == "" {
		return nil
	}
	return []byte(s)
}

// String returns RedactedSecret for a set secret, "" otherwise.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return RedactedSecret
}

// GoString is String, so %#v does not show the value either.
func (s Secret) GoString() string { return s.String() }

// LogValue keeps the value out of slog output.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

var secretType = reflect.TypeFor[Secret]()
