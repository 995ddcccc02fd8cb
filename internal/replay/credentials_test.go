package replay_test

import (
	"errors"
	"strings"
	"testing"

	"pbxlab/internal/replay"
)

func TestParseCredentials(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     replay.Credentials
		err      string
	}{
		{"users and passwords", "1001: demo1001\n\"alice\": 's3cret'\n1002: 1234\n", replay.Credentials{"1001": "demo1001", "alice": "s3cret", "1002": "1234"}, ""},
		{"empty file", "", replay.Credentials{}, ""},
		{"comments only", "# none\n", replay.Credentials{}, ""},
		{"duplicate user", "1001: a\n1001: b\n", nil, "creds.yaml:2: bad credentials file: user \"1001\" again (first at line 1)"},
		{"a list", "- 1001\n", nil, "creds.yaml:1: bad credentials file: want a mapping"},
		{"nested password", "1001:\n  pw: x\n", nil, "creds.yaml:2: bad credentials file: the password of \"1001\" must be a string, got a mapping"},
		{"no password", "1001:\n", nil, "creds.yaml:1: bad credentials file: the password of \"1001\" must be a string, got nothing"},
		{"empty user", "'': x\n", nil, "creds.yaml:1: bad credentials file: a user must be a non-empty string"},
		{"syntax error", "1001: [\n", nil, "creds.yaml:"},
		{"two documents", "a: b\n---\nc: d\n", nil, "creds.yaml:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := replay.ParseCredentials("creds.yaml", []byte(tc.in))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || !errors.Is(err, replay.ErrCredentials) {
					t.Fatalf("err %v, want %q (ErrCredentials)", err, tc.err)
				}
				return
			}
			if err != nil || len(got) != len(tc.want) {
				t.Fatalf("got %v, %v; want %v", got, err, tc.want)
			}
			for k, v := range tc.want {
				if got[k] != v {
					t.Errorf("%s: %q, want %q", k, got[k], v)
				}
			}
		})
	}
}

func FuzzParseCredentials(f *testing.F) {
	for _, s := range []string{"1001: demo1001\n", "", "- a\n", "a: [\n", "a: {b: c}\n", "&x a: *x\n", "a: b\n---\nc: d\n", "? [a]\n: b\n", "a: !!binary aGk=\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := replay.ParseCredentials("f.yaml", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "f.yaml:") || !errors.Is(err, replay.ErrCredentials) {
				t.Fatalf("error without file:line or sentinel: %v", err)
			}
			return
		}
		for u := range c {
			if u == "" {
				t.Fatal("an empty user accepted")
			}
		}
	})
}

func TestParsePace(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want replay.Pace
		ok   bool
	}{
		{"", replay.Pace{Scale: 1}, true},
		{"original", replay.Pace{Scale: 1}, true},
		{"fast", replay.Pace{Fast: true}, true},
		{"x2", replay.Pace{Scale: 0.5}, true},
		{"x0.5", replay.Pace{Scale: 2}, true},
		{"x0", replay.Pace{}, false},
		{"x-1", replay.Pace{}, false},
		{"slow", replay.Pace{}, false},
		{"xNaN", replay.Pace{}, false},
	} {
		got, err := replay.ParsePace(tc.in)
		if (err == nil) != tc.ok || (tc.ok && got != tc.want) || (!tc.ok && !errors.Is(err, replay.ErrPace)) {
			t.Errorf("ParsePace(%q) = %+v, %v", tc.in, got, err)
		}
	}
}
