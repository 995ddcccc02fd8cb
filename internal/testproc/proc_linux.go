//go:build linux

package testproc

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func setDeathSignal(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGKILL }

// procStat is what the process table says of one process.
type procStat struct {
	pid, pgrp int
	state     byte
	start     uint64 // clock ticks after boot
	cpu       uint64 // utime + stime, clock ticks
}

// readStat parses /proc/<pid>/stat; the command name, in parentheses, may
// itself hold spaces and parentheses, so the fields are read after the
// last ')'.
func readStat(pid int) (procStat, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procStat{}, err
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return procStat{}, fmt.Errorf("parse /proc/%d/stat: no command name", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 20 || len(f[0]) != 1 {
		return procStat{}, fmt.Errorf("parse /proc/%d/stat: %d fields", pid, len(f))
	}
	pgrp, err := strconv.Atoi(f[2])
	if err != nil {
		return procStat{}, fmt.Errorf("parse /proc/%d/stat: %w", pid, err)
	}
	start, err := strconv.ParseUint(f[19], 10, 64)
	if err != nil {
		return procStat{}, fmt.Errorf("parse /proc/%d/stat: %w", pid, err)
	}
	ut, err1 := strconv.ParseUint(f[11], 10, 64)
	st, err2 := strconv.ParseUint(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return procStat{}, fmt.Errorf("parse /proc/%d/stat: cpu time %q %q", pid, f[11], f[12])
	}
	return procStat{pid: pid, pgrp: pgrp, state: f[0][0], start: start, cpu: ut + st}, nil
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat's times (100 on every
// Linux architecture Go supports).
const clockTicks = 100

// CPU is the CPU time (user + system) the process started (the group's
// leader) has used so far, from /proc/PID/stat.
func (p *Proc) CPU() (time.Duration, error) {
	st, err := readStat(p.pgid)
	if err != nil {
		return 0, fmt.Errorf("cpu of %d: %w", p.pgid, err)
	}
	return time.Duration(st.cpu) * time.Second / clockTicks, nil
}

// live reports a process that runs: not a zombie (state Z) nor dead (X).
// A zombie holds no socket and no CPU; one whose parent is an init that
// does not reap (as in some containers) stays in the table for good.
func (s procStat) live() bool { return s.state != 'Z' && s.state != 'X' }

// processes returns every process of the table that is live.
func processes() ([]procStat, error) {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil, fmt.Errorf("list processes: %w", err)
	}
	var out []procStat
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		st, err := readStat(pid)
		if err != nil || !st.live() {
			continue // exited meanwhile
		}
		out = append(out, st)
	}
	return out, nil
}

// groupMembers returns the live processes of group pgid.
func groupMembers(pgid int) ([]int, error) {
	all, err := processes()
	if err != nil {
		return nil, err
	}
	var out []int
	for _, p := range all {
		if p.pgrp == pgid {
			out = append(out, p.pid)
		}
	}
	return out, nil
}

// ownerToken names process pid for as long as it lives: its id and start
// time, so that a recycled pid is not taken for it.
func ownerToken(pid int) (string, error) {
	st, err := readStat(pid)
	if err != nil {
		return "", fmt.Errorf("read owner %d: %w", pid, err)
	}
	return fmt.Sprintf("%d.%d", pid, st.start), nil
}

// ownerAlive reports whether the process named by token still runs.
func ownerAlive(token string) bool {
	pidStr, _, _ := strings.Cut(token, ".")
	pid, err := strconv.Atoi(pidStr)
	if err != nil {
		return false
	}
	st, err := readStat(pid)
	if err != nil || !st.live() {
		return false
	}
	now, err := ownerToken(pid)
	return err == nil && now == token
}

// marked returns the live processes whose environment carries
// MarkerEnv=token.
func marked(token string) ([]procStat, error) {
	all, err := processes()
	if err != nil {
		return nil, err
	}
	want := []byte(MarkerEnv + "=" + token)
	var out []procStat
	for _, p := range all {
		env, err := os.ReadFile("/proc/" + strconv.Itoa(p.pid) + "/environ")
		if err != nil {
			continue
		}
		for kv := range bytes.SplitSeq(env, []byte{0}) {
			if bytes.Equal(kv, want) {
				out = append(out, p)
				break
			}
		}
	}
	return out, nil
}

// sweepKill sends SIGKILL to the groups of pgids that hold a process
// marked with token, then to every marked process (one that left its
// group), and returns the marked processes it found.
func sweepKill(token string, pgids []int) ([]int, error) {
	procs, err := marked(token)
	if err != nil {
		return nil, err
	}
	inGroup := make(map[int]bool)
	for _, p := range procs {
		inGroup[p.pgrp] = true
	}
	for _, g := range pgids {
		if inGroup[g] {
			_ = signalGroup(g, syscall.SIGKILL)
		}
	}
	pids := make([]int, 0, len(procs))
	for _, p := range procs {
		_ = syscall.Kill(p.pid, syscall.SIGKILL)
		pids = append(pids, p.pid)
	}
	return pids, nil
}

// sweepLeft returns the live processes still marked with token.
func sweepLeft(token string, _ []int) []int {
	procs, _ := marked(token)
	out := make([]int, 0, len(procs))
	for _, p := range procs {
		out = append(out, p.pid)
	}
	return out
}

// Alive reports whether process pid runs (a zombie does not).
func Alive(pid int) bool {
	st, err := readStat(pid)
	return err == nil && st.live()
}
