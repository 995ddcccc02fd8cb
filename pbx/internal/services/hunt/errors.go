package hunt

import "errors"

var (
	// ErrNoGroup: a login/logout code names no hunt group.
	ErrNoGroup = errors.New("no such hunt group")
	// ErrNotMember: the caller of a login/logout code is not a member of
	// the group.
	ErrNotMember = errors.New("not a member of the hunt group")
	// ErrMalformed: a *60* or #60* code that does not parse.
	ErrMalformed = errors.New("malformed hunt group code")
)
