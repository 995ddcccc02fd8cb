//go:build unix && !linux

package testproc

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Without Pdeathsig (Linux only) a child outlives a test binary that dies;
// Sweep kills it at the next run.
func setDeathSignal(*syscall.SysProcAttr) {}

// CPU is not known without /proc.
func (p *Proc) CPU() (time.Duration, error) {
	return 0, fmt.Errorf("cpu of %d: %w", p.pgid, errors.ErrUnsupported)
}

// groupMembers cannot list the group without /proc: it returns the group
// id while any member (zombie included) exists.
func groupMembers(pgid int) ([]int, error) {
	if err := syscall.Kill(-pgid, 0); errors.Is(err, syscall.ESRCH) {
		return nil, nil
	}
	return []int{pgid}, nil
}

func ownerToken(pid int) (string, error) { return fmt.Sprintf("%d.0", pid), nil }

func ownerAlive(token string) bool {
	pidStr, _, _ := strings.Cut(token, ".")
	pid, err := strconv.Atoi(pidStr)
	if err != nil {
		return false
	}
	return !errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}

// sweepKill kills the groups of the pidfiles that still exist: without
// /proc the marker cannot be checked.
func sweepKill(_ string, pgids []int) ([]int, error) {
	var killed []int
	for _, g := range pgids {
		if m, _ := groupMembers(g); len(m) > 0 {
			_ = signalGroup(g, syscall.SIGKILL)
			killed = append(killed, g)
		}
	}
	return killed, nil
}

// sweepLeft returns the groups of pgids that still exist.
func sweepLeft(_ string, pgids []int) []int {
	var left []int
	for _, g := range pgids {
		if m, _ := groupMembers(g); len(m) > 0 {
			left = append(left, g)
		}
	}
	return left
}

// Alive reports whether process pid exists (zombies included: without
// /proc they cannot be told apart).
func Alive(pid int) bool { return !errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) }
