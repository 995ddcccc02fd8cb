package config

import _ "embed"

// demoYAML is a string so that the embedded text cannot be modified.
//
//go:embed demo.yaml
var demoYAML string

// Demo returns the embedded demo configuration (demo.yaml): SIP on UDP and
// TCP 127.0.0.1:5060, subscribers 1000-1099 with password demo{n}, realm
// pbxlab offering MD5 then SHA-256, and an in-memory store (the caller sets
// Store.Path, e.g. to a temporary file). It is parsed with Parse like any
// file; demo.yaml is part of the binary and covered by tests, so a parse
// error is a build defect and panics.
func Demo() *Config {
	c, err := Parse("demo.yaml", []byte(demoYAML))
	if err != nil {
		panic("config: embedded demo.yaml: " + err.Error())
	}
	return c
}

// DemoYAML returns the text of the embedded demo configuration.
func DemoYAML() []byte { return []byte(demoYAML) }
