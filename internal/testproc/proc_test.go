//go:build linux

package testproc

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"pbxlab/internal/leakcheck"
)

const helperEnv = "PBXLAB_TESTPROC_HELPER_RUNDIR"

// TestMain doubles as the helper process of TestChildrenDieWithTestBinary.
func TestMain(m *testing.M) {
	if dir := os.Getenv(helperEnv); dir != "" {
		os.Exit(helper(dir))
	}
	os.Exit(m.Run())
}

// helper starts, through testproc, a direct child, a grandchild in the
// child's group and one that leaves the group (setsid), prints their pids
// and waits to be killed (a minute at most).
func helper(runDir string) int {
	direct, err := Start(exec.Command("sleep", "300"), WithRunDir(runDir))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	sh := exec.Command("sh", "-c", "sleep 300 & echo $!; setsid sleep 300 & echo $!; wait")
	out, err := sh.StdoutPipe()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if _, err := Start(sh, WithRunDir(runDir)); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	r := bufio.NewReader(out)
	grand, err := r.ReadString('\n')
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	escaped, err := r.ReadString('\n')
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Printf("direct %d\ngrand %sescaped %s", direct.Pid(), grand, escaped)
	time.Sleep(time.Minute)
	return 1
}

// waitDead polls until pid no longer runs, failing t after a deadline.
func waitDead(t *testing.T, pid int, why string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for Alive(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("process %d still runs 20s after %s", pid, why)
		}
		time.Sleep(pollInterval)
	}
}

// readLines reads n lines from r, failing t after a deadline.
func readLines(t *testing.T, r *os.File, n int) []string {
	t.Helper()
	ch := make(chan []string, 1)
	go func() {
		var lines []string
		sc := bufio.NewScanner(r)
		for len(lines) < n && sc.Scan() {
			lines = append(lines, sc.Text())
		}
		ch <- lines
	}()
	select {
	case lines := <-ch:
		if len(lines) != n {
			t.Fatalf("read %q, want %d lines", lines, n)
		}
		return lines
	case <-time.After(30 * time.Second):
		_ = r.Close()
		t.Fatalf("no %d lines within 30s", n)
		return nil
	}
}

// startWithPipe starts cmd with its stdout on a pipe the caller reads.
func startWithPipe(t *testing.T, cmd *exec.Cmd, opts ...Option) (*Proc, *os.File) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	cmd.Stdout = w
	p, err := Start(cmd, append([]Option{WithRunDir(t.TempDir())}, opts...)...)
	_ = w.Close()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p, r
}

func exitSignal(err error) syscall.Signal {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return ws.Signal()
		}
	}
	return 0
}

// A group whose members ignore SIGTERM: Close must SIGKILL every member,
// not only the leader, and leave none running.
func TestCloseKillsTheWholeGroup(t *testing.T) {
	leakcheck.Check(t)
	p, r := startWithPipe(t, exec.Command("sh", "-c", `trap "" TERM; sleep 300 & echo $!; sleep 300 & echo $!; wait`),
		WithGrace(100*time.Millisecond))
	lines := readLines(t, r, 2)
	members, err := p.Members()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range lines {
		pid, err := strconv.Atoi(l)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(members, pid) {
			t.Fatalf("worker %d not in the group %v", pid, members)
		}
	}
	if err := p.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if got := exitSignal(p.Wait(context.Background())); got != syscall.SIGKILL {
		t.Errorf("leader ended by %v, want SIGKILL (it ignores SIGTERM)", got)
	}
	if left, _ := p.Members(); len(left) != 0 {
		t.Errorf("members left after Close: %v", left)
	}
	for _, pid := range members {
		if Alive(pid) {
			t.Errorf("member %d still runs", pid)
		}
	}
	if files, _ := filepath.Glob(filepath.Join(filepath.Dir(p.pidfile), "*"+pidSuffix)); len(files) != 0 {
		t.Errorf("pidfiles left: %v", files)
	}
}

// A process that honours SIGTERM ends by it, not by SIGKILL.
func TestCloseTerminatesGracefully(t *testing.T) {
	leakcheck.Check(t)
	p, _ := startWithPipe(t, exec.Command("sleep", "300"), WithGrace(time.Minute))
	b, err := os.ReadFile(p.pidfile)
	if err != nil || !strings.HasPrefix(string(b), strconv.Itoa(p.Pid())+" sleep 300") {
		t.Fatalf("pidfile %q: %v", b, err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if got := exitSignal(p.Wait(context.Background())); got != syscall.SIGTERM {
		t.Errorf("ended by %v, want SIGTERM", got)
	}
}

// Cancelling the context of exec.CommandContext kills the whole group.
func TestContextCancelKillsTheGroup(t *testing.T) {
	leakcheck.Check(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p, r := startWithPipe(t, exec.CommandContext(ctx, "sh", "-c", "sleep 300 & echo $!; wait"))
	pid, err := strconv.Atoi(readLines(t, r, 1)[0])
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	wctx, wcancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer wcancel()
	if err := p.Wait(wctx); exitSignal(err) != syscall.SIGKILL {
		t.Fatalf("wait: %v, want killed", err)
	}
	waitDead(t, pid, "the group was killed")
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
}

// go.dev/issue/27505: Pdeathsig fires when the forking thread exits. A
// caller whose goroutine is locked to its thread and ends (so the runtime
// ends the thread) must not take the child with it.
func TestChildSurvivesTheCallersThread(t *testing.T) {
	leakcheck.Check(t)
	runDir := t.TempDir()
	type started struct {
		p   *Proc
		tid int
		err error
	}
	var s started
	for range 10 { // the main thread is never ended: try another
		ch := make(chan started, 1)
		go func() {
			runtime.LockOSThread() // not unlocked: the thread ends with the goroutine
			p, err := Start(exec.Command("sleep", "300"), WithRunDir(runDir), WithGrace(time.Minute))
			ch <- started{p, syscall.Gettid(), err}
		}()
		if s = <-ch; s.err != nil {
			t.Fatal(s.err)
		}
		if s.tid != os.Getpid() {
			break
		}
		_ = s.p.Close()
	}
	t.Cleanup(func() { _ = s.p.Close() })
	// once the thread is gone the kernel has sent any death signal
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, err := os.Stat(fmt.Sprintf("/proc/self/task/%d", s.tid)); errors.Is(err, os.ErrNotExist) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("thread %d still exists 20s after its locked goroutine ended", s.tid)
		}
		time.Sleep(pollInterval)
	}
	if err := s.p.Close(); err != nil {
		t.Fatal(err)
	}
	if got := exitSignal(s.p.Wait(context.Background())); got != syscall.SIGTERM {
		t.Errorf("child ended by %v, want Close's SIGTERM (SIGKILL = the death signal of the caller's thread)", got)
	}
}

// A test binary killed with SIGKILL takes its children with it: the
// direct child by Pdeathsig, the rest of its group by the guard. What left
// the group (setsid) is left, and Sweep kills it later.
func TestChildrenDieWithTestBinary(t *testing.T) {
	leakcheck.Check(t)
	helperRun := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+helperRun)
	cmd.Stderr = os.Stderr
	h, r := startWithPipe(t, cmd)
	pids := make(map[string]int)
	for _, l := range readLines(t, r, 3) {
		k, v, _ := strings.Cut(l, " ")
		n, err := strconv.Atoi(v)
		if err != nil {
			t.Fatalf("helper said %q", l)
		}
		pids[k] = n
	}
	for _, k := range []string{"direct", "grand", "escaped"} {
		if !Alive(pids[k]) {
			t.Fatalf("helper's %s process %d not running", k, pids[k])
		}
	}
	// the shell echoes the escaped pid right after the fork, maybe before
	// setsid(2) ran in it: wait until it has left the group, or the guard
	// rightly takes it with the group
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		esc, err1 := readStat(pids["escaped"])
		grand, err2 := readStat(pids["grand"])
		if err1 == nil && err2 == nil && esc.pgrp == esc.pid && esc.pgrp != grand.pgrp {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the escaped process %d never left its group (%+v, %v)", pids["escaped"], esc, err1)
		}
	}
	if err := h.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitDead(t, pids["direct"], "the helper died (Pdeathsig)")
	waitDead(t, pids["grand"], "the helper died (the guard)")
	if !Alive(pids["escaped"]) {
		t.Fatal("the process that left its group died with the helper: nothing left for Sweep to prove")
	}
	if s, err := Sweep(helperRun); err != nil || len(s) != 1 || !slices.Contains(s[0].PIDs, pids["escaped"]) {
		t.Fatalf("sweep = %v, %v; want the escaped process %d", s, err, pids["escaped"])
	}
	if Alive(pids["escaped"]) {
		t.Error("the escaped process still runs after Sweep")
	}
	if ents, _ := os.ReadDir(helperRun); len(ents) != 0 {
		t.Errorf("sweep left %d entries in the run directory", len(ents))
	}
}

// Sweep leaves the groups of a running test binary alone.
func TestSweepSparesRunningOwners(t *testing.T) {
	leakcheck.Check(t)
	runDir := t.TempDir()
	p, err := Start(exec.Command("sleep", "300"), WithRunDir(runDir))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	// a second, dead owner's directory with a pidfile for p's group: its
	// token does not match p's marker, so p must be spared
	dead := filepath.Join(runDir, "999999999")
	if err := os.MkdirAll(dead, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{ownerFile: "999999999.1", strconv.Itoa(p.Pid()) + pidSuffix: strconv.Itoa(p.Pid()) + " sleep"} {
		if err := os.WriteFile(filepath.Join(dead, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s, err := Sweep(runDir)
	if err != nil || len(s) != 0 {
		t.Fatalf("sweep = %v, %v; want nothing killed", s, err)
	}
	if !Alive(p.Pid()) {
		t.Fatal("sweep killed a running owner's process")
	}
	if _, err := os.Stat(dead); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the dead owner's directory is still there: %v", err)
	}
}
