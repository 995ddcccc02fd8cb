package conform

import (
	"errors"
	"strconv"
	"strings"
)

// Sentinel errors.
var (
	// ErrProfile matches (errors.Is) every *ProfileError.
	ErrProfile = errors.New("invalid target profile")
	// ErrNoAnswer means the target did not answer the OPTIONS probe: no
	// scenario could run.
	ErrNoAnswer = errors.New("target does not answer")
	// ErrGarbage means the target answered the probe with bytes that are
	// not a SIP response.
	ErrGarbage = errors.New("target answers with something that is not SIP")
	// ErrMustRun means a scenario of the target kind's must-run list
	// would not run, or did not.
	ErrMustRun = errors.New("must-run scenario")
	// ErrUsage means the run's configuration is wrong (no target, bad
	// address, bad tag expression or format).
	ErrUsage = errors.New("bad conform configuration")
	// ErrResults means a results file is malformed.
	ErrResults = errors.New("bad results file")
	// ErrNoMarkers means a README has no TableBegin/TableEnd pair.
	ErrNoMarkers = errors.New("no conform-table markers")
)

// ProfileError is one problem in a target profile, "FILE:LINE: FIELD:
// message" as pbx/config's errors are.
type ProfileError struct {
	File  string
	Line  int    // 1-based, 0 if unknown
	Field string // e.g. "subscribers[2].password"
	Msg   string
}

func (e *ProfileError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			b.WriteString(":" + strconv.Itoa(e.Line))
		}
		b.WriteString(": ")
	} else if e.Line > 0 {
		b.WriteString("line " + strconv.Itoa(e.Line) + ": ")
	}
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Is reports whether target is ErrProfile.
func (e *ProfileError) Is(target error) bool { return target == ErrProfile }
