package replay

import (
	"fmt"
	"os"

	"gopkg.in/yaml.v3"

	"pbxlab/internal/yamlx"
)

// Credentials are the digest passwords by SIP user, to answer the
// target's 401/407 challenges (its nonces differ from the capture's).
type Credentials map[string]string

// ReadCredentials reads a credentials file (see ParseCredentials).
func ReadCredentials(path string) (Credentials, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("replay credentials: %w", err)
	}
	return ParseCredentials(path, data)
}

// ParseCredentials decodes a credentials file: a YAML mapping of SIP user
// to password, one per line ("1001: secret"). Keys and values are
// strings (a number is taken as written); anything else, an empty user or
// a duplicate is an error naming name:line.
func ParseCredentials(name string, data []byte) (Credentials, error) {
	root, err := yamlx.Parse(data)
	if err != nil {
		line, msg := yamlx.SyntaxError(err)
		return nil, fmt.Errorf("%s:%d: %w: %s", name, line, ErrCredentials, msg)
	}
	out := Credentials{}
	if root == nil {
		return out, nil
	}
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s:%d: %w: want a mapping of user: password, got %s", name, root.Line, ErrCredentials, yamlx.Describe(root))
	}
	lines := map[string]int{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.Value == "" {
			return nil, fmt.Errorf("%s:%d: %w: a user must be a non-empty string, got %s", name, k.Line, ErrCredentials, yamlx.Describe(k))
		}
		if v.Kind != yaml.ScalarNode || v.ShortTag() == "!!null" {
			return nil, fmt.Errorf("%s:%d: %w: the password of %q must be a string, got %s", name, v.Line, ErrCredentials, k.Value, yamlx.Describe(v))
		}
		if first, dup := lines[k.Value]; dup {
			return nil, fmt.Errorf("%s:%d: %w: user %q again (first at line %d)", name, k.Line, ErrCredentials, k.Value, first)
		}
		lines[k.Value] = k.Line
		out[k.Value] = v.Value
	}
	return out, nil
}
