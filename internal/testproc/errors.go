package testproc

import "errors"

// ErrSurvived: a member of the process group was still running after
// SIGKILL and the wait that follows it.
var ErrSurvived = errors.New("process group survived SIGKILL")
