package testproc

import "errors"

var (
	// ErrSurvived: a member of the process group was still running after
	// SIGKILL and the wait that follows it.
	ErrSurvived = errors.New("process group survived SIGKILL")
	// ErrNotStarted: the process was never started.
	ErrNotStarted = errors.New("process not started")
)
