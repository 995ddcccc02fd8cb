package config

import (
	"errors"
	"strconv"
	"strings"
)

// ErrInvalidConfig matches (errors.Is) every *FieldError returned by Parse,
// Load and Validate.
var ErrInvalidConfig = errors.New("invalid configuration")

// ErrDemoCredentialsExposed is returned by RequireLoopbackForDemo when the
// guessable demo passwords (demo{n}) would be reachable on a non-loopback
// listen address.
var ErrDemoCredentialsExposed = errors.New("demo credentials on a non-loopback listen address")

// FieldError is one problem in a configuration. Its text is
// "FILE:LINE: FIELD: message", e.g.
//
//	pbx.yaml:12: sip.listen[1]: unknown transport "sctp" (want udp or tcp)
//
// File is empty for configurations not read from a file, Line is 0 when the
// position is unknown (a default value, or a Config built in Go), and Field is
// empty for problems of the document as a whole.
type FieldError struct {
	File  string // file name as given to Load or Parse
	Line  int    // 1-based line, 0 if unknown
	Field string // dotted field path, e.g. "subscribers[3].contacts[0]"
	Msg   string // what is wrong
}

// Error formats the error as "FILE:LINE: FIELD: message", leaving out the
// parts that are unknown.
func (e *FieldError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			b.WriteByte(':')
			b.WriteString(strconv.Itoa(e.Line))
		}
		b.WriteString(": ")
	} else if e.Line > 0 {
		b.WriteString("line ")
		b.WriteString(strconv.Itoa(e.Line))
		b.WriteString(": ")
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Is reports whether target is ErrInvalidConfig.
func (e *FieldError) Is(target error) bool { return target == ErrInvalidConfig }
