// Package ivr is the IVR / auto-attendant of the media server: menus loaded
// from YAML and validated, and a pure state machine per call (Machine) that
// the media server drives with the caller's digits, its timers and the end
// of each prompt, and that answers with what to do next (play, wait, call
// an extension, voicemail, hang up). No sockets, no clocks, no goroutines.
//
// The YAML:
//
//	numbers:                  # IVR number -> its entry menu
//	  "500": main
//	menus:
//	  main:
//	    prompt: "12"          # media ID played on entry (required)
//	    timeout: 5s           # wait for a digit once the prompt ended (default 5s, at most 60s)
//	    retries: 2            # re-prompts after a timeout or a wrong digit (default 2, at most 10)
//	    invalid_prompt: invalid-option   # media ID played before re-prompting after a wrong digit
//	    timeout_prompt: ""    # media ID played before re-prompting after a timeout
//	    options:              # digit (0-9 * # A-D) -> action
//	      "1": {call: "1001"}
//	      "2": {menu: sales}
//	      "3": {voicemail: "1001"}
//	      "9": {repeat: true}
//	      "0": {hangup: true, prompt: goodbye}
//	    on_fail: {call: "1000"}   # once the retries are used up (default: hang up)
//
// An action is exactly one of call (an extension), menu (another menu),
// voicemail (a mailbox), repeat (play the prompt again; not as on_fail) or
// hangup, with an optional prompt (a media ID) played before it.
package ivr

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Defaults and bounds of a menu.
const (
	DefaultTimeout = 5 * time.Second
	MaxTimeout     = 60 * time.Second
	DefaultRetries = 2
	MaxRetries     = 10
	// MaxFileSize bounds an IVR file.
	MaxFileSize = 1 << 20
)

// Config is a validated IVR configuration. It is immutable and safe for
// concurrent use; each call gets its own Machine.
type Config struct {
	Numbers map[string]string `yaml:"numbers"` // IVR number -> entry menu name
	Menus   map[string]*Menu  `yaml:"menus"`
}

// Menu is one menu.
type Menu struct {
	Name          string             `yaml:"-"`
	Prompt        string             `yaml:"prompt"`
	Timeout       time.Duration      `yaml:"timeout"`
	Retries       *int               `yaml:"retries"` // nil: DefaultRetries
	InvalidPrompt string             `yaml:"invalid_prompt"`
	TimeoutPrompt string             `yaml:"timeout_prompt"`
	Options       map[string]*Action `yaml:"options"`
	OnFail        *Action            `yaml:"on_fail"` // nil: hang up
}

// Action is what a digit (or the end of the retries) does.
type Action struct {
	Call      string `yaml:"call"`      // extension to call
	Menu      string `yaml:"menu"`      // menu to enter
	Voicemail string `yaml:"voicemail"` // mailbox
	Repeat    bool   `yaml:"repeat"`    // play the menu's prompt again
	Hangup    bool   `yaml:"hangup"`
	Prompt    string `yaml:"prompt"` // media ID played first (optional)
}

// retries returns the menu's retry count.
func (m *Menu) retries() int {
	if m.Retries == nil {
		return DefaultRetries
	}
	return *m.Retries
}

// Error is a problem in an IVR file, at a line. It matches ErrInvalid.
type Error struct {
	File string
	Line int // 0 when unknown
	Msg  string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// Is makes every *Error match ErrInvalid.
func (e *Error) Is(target error) bool { return target == ErrInvalid }

// Option configures Load.
type Option func(*loadOptions)

type loadOptions struct {
	mediaID func(string) bool
}

// WithMediaIDs makes Load refuse a prompt whose media ID known reports
// false (pass media.Library.Has).
func WithMediaIDs(known func(id string) bool) Option {
	return func(o *loadOptions) { o.mediaID = known }
}

// LoadFile reads and validates the IVR file at path.
func LoadFile(path string, opts ...Option) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load ivr %s: %w", path, err)
	}
	defer f.Close()
	return Load(f, path, opts...)
}

// Load reads and validates an IVR configuration; name labels errors
// (file:line: message). Decoding is strict: unknown fields, duplicate keys,
// values of the wrong type and more than one document are errors. Every
// problem found by validation is reported at once (errors.Join of *Error),
// see validate for what is refused.
func Load(r io.Reader, name string, opts ...Option) (*Config, error) {
	var o loadOptions
	for _, opt := range opts {
		opt(&o)
	}
	data, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("load ivr %s: %w", name, err)
	}
	if len(data) > MaxFileSize {
		return nil, &Error{File: name, Msg: fmt.Sprintf("file larger than %d bytes", MaxFileSize)}
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, yamlError(name, err)
	}
	if len(root.Content) == 0 || root.Content[0].Kind != yaml.MappingNode {
		return nil, &Error{File: name, Line: 1, Msg: "an IVR file is a mapping with numbers and menus"}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var cfg Config
	if err := dec.Decode(&cfg); err != nil {
		return nil, yamlError(name, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, &Error{File: name, Line: extra.Line, Msg: "more than one YAML document"}
	} else if !errors.Is(err, io.EOF) {
		return nil, yamlError(name, err)
	}
	for n, m := range cfg.Menus {
		if m == nil {
			m = &Menu{}
			cfg.Menus[n] = m
		}
		m.Name = n
		if m.Timeout == 0 {
			m.Timeout = DefaultTimeout
		}
	}
	v := validator{cfg: &cfg, file: name, root: root.Content[0], mediaID: o.mediaID}
	if errs := v.validate(); len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return &cfg, nil
}

// yamlError turns yaml.v3's errors into *Error values with file:line.
func yamlError(file string, err error) error {
	msgs := []string{err.Error()}
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs = te.Errors
	}
	out := make([]error, 0, len(msgs))
	for _, msg := range msgs {
		msg = strings.TrimPrefix(msg, "yaml: ")
		e := &Error{File: file, Msg: msg}
		// yaml.v3 says "line N: message".
		if rest, ok := strings.CutPrefix(msg, "line "); ok {
			if num, text, ok := strings.Cut(rest, ": "); ok {
				if n, err := strconv.Atoi(num); err == nil {
					e.Line, e.Msg = n, text
				}
			}
		}
		out = append(out, e)
	}
	return errors.Join(out...)
}
