package testproc

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// MarkerEnv is set in the environment of every process Start starts (and
// so inherited by what it forks) to the token of the test binary that
// started it: "<pid>.<start time>".
const MarkerEnv = "PBXLAB_TESTPROC_OWNER"

// Defaults of the options.
const (
	DefaultGrace     = 5 * time.Second  // SIGTERM to SIGKILL
	DefaultKillWait  = 15 * time.Second // SIGKILL to giving up
	DefaultWaitDelay = 5 * time.Second  // exec.Cmd.WaitDelay when unset
	pollInterval     = 20 * time.Millisecond
)

// Option configures Start.
type Option func(*options)

type options struct {
	grace    time.Duration
	killWait time.Duration
	runDir   string
}

// WithGrace sets how long Close waits after SIGTERM before SIGKILL.
func WithGrace(d time.Duration) Option { return func(o *options) { o.grace = d } }

// WithRunDir sets the directory of the pidfiles (DefaultRunDir() unless
// set); Sweep must be given the same.
func WithRunDir(dir string) Option { return func(o *options) { o.runDir = dir } }

// DefaultRunDir is $TMPDIR/pbxlab-testproc.
func DefaultRunDir() string { return filepath.Join(os.TempDir(), "pbxlab-testproc") }

// Proc is a started process group.
type Proc struct {
	cmd     *exec.Cmd
	name    string
	pgid    int
	pidfile string
	o       options

	done    chan struct{} // closed when the leader is reaped
	waitErr error         // cmd.Wait's result, set before done is closed

	guard     *exec.Cmd     // kills the group when the test binary dies
	guardPipe *os.File      // its stdin's write end, held only by us
	guardDone chan struct{} // closed when the guard is reaped

	closeOnce sync.Once
	closeErr  error
}

// Start starts cmd as the leader of a new process group that dies with the
// test binary, and records it in a pidfile. cmd must not have been started;
// Start owns its Wait (use Proc.Wait). If cmd was made by
// exec.CommandContext, cancelling the context kills the whole group.
func Start(cmd *exec.Cmd, opts ...Option) (*Proc, error) {
	o := options{grace: DefaultGrace, killWait: DefaultKillWait, runDir: DefaultRunDir()}
	for _, opt := range opts {
		opt(&o)
	}
	p := &Proc{cmd: cmd, name: filepath.Base(cmd.Path), o: o, done: make(chan struct{})}
	token, err := ownerToken(os.Getpid())
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", p.name, err)
	}
	dir := filepath.Join(o.runDir, strconv.Itoa(os.Getpid()))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("start %s: %w", p.name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(token+"\n"), 0o644); err != nil {
		return nil, fmt.Errorf("start %s: %w", p.name, err)
	}
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid, cmd.SysProcAttr.Pgid = true, 0
	setDeathSignal(cmd.SysProcAttr)
	env := cmd.Env
	if env == nil {
		env = os.Environ()
	}
	cmd.Env = append(withoutMarker(env), MarkerEnv+"="+token)
	if cmd.Cancel != nil { // exec.CommandContext: kill the group, not only the leader
		cmd.Cancel = func() error { return signalGroup(cmd.Process.Pid, syscall.SIGKILL) }
	}
	if cmd.WaitDelay == 0 {
		cmd.WaitDelay = DefaultWaitDelay
	}
	started := make(chan error, 1)
	go p.run(started)
	if err := <-started; err != nil {
		return nil, fmt.Errorf("start %s: %w", p.name, err)
	}
	p.pgid = cmd.Process.Pid
	p.pidfile = filepath.Join(dir, strconv.Itoa(p.pgid)+pidSuffix)
	line := fmt.Sprintf("%d %s\n", p.pgid, strings.Join(cmd.Args, " "))
	if err := os.WriteFile(p.pidfile, []byte(line), 0o644); err != nil {
		return nil, errors.Join(fmt.Errorf("write pidfile of %s: %w", p.name, err), p.Close())
	}
	if err := p.startGuard(cmd.Env); err != nil {
		return nil, errors.Join(fmt.Errorf("start the guard of %s: %w", p.name, err), p.Close())
	}
	return p, nil
}

// guardScript waits for end of file on its stdin, which comes when the
// test binary closes the pipe (Close, once the group is gone) or dies,
// and then kills the group whose id is its argument.
const guardScript = `read -r _; kill -s KILL -- "-$0" 2>/dev/null`

// startGuard starts the group's guard: a shell in a group of its own,
// without Pdeathsig, that outlives a test binary that dies and then kills
// the whole group (Pdeathsig reaches only the leader, not Kamailio's
// workers).
func (p *Proc) startGuard(env []string) error {
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	g := exec.Command("/bin/sh", "-c", guardScript, strconv.Itoa(p.pgid))
	g.Stdin, g.Env = r, env
	g.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	err = g.Start()
	_ = r.Close()
	if err != nil {
		_ = w.Close()
		return err
	}
	p.guard, p.guardPipe, p.guardDone = g, w, make(chan struct{})
	go func() {
		_ = g.Wait()
		close(p.guardDone)
	}()
	return nil
}

// endGuard lets the guard go (its group is gone) and reaps it.
func (p *Proc) endGuard() {
	if p.guard == nil {
		return
	}
	_ = p.guardPipe.Close()
	select {
	case <-p.guardDone:
	case <-time.After(p.o.killWait):
		_ = p.guard.Process.Kill()
		<-p.guardDone
	}
}

// run forks and waits on one locked OS thread, so that the thread whose
// exit triggers Pdeathsig lives exactly as long as the child (see the
// package documentation).
func (p *Proc) run(started chan<- error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := p.cmd.Start(); err != nil {
		started <- err
		return
	}
	started <- nil
	p.waitErr = p.cmd.Wait()
	close(p.done)
}

// Pid is the leader's process id, which is also the group id.
func (p *Proc) Pid() int { return p.pgid }

// Done is closed when the leader has exited and been reaped.
func (p *Proc) Done() <-chan struct{} { return p.done }

// Wait waits for the leader to exit and returns what exec.Cmd.Wait
// returned (an *exec.ExitError for a non-zero status), or the context's
// error if it ends first; the process is then still running.
func (p *Proc) Wait(ctx context.Context) error {
	select {
	case <-p.done:
		return p.waitErr
	case <-ctx.Done():
		return fmt.Errorf("wait for %s: %w", p.name, ctx.Err())
	}
}

// Signal sends sig to the leader only.
func (p *Proc) Signal(sig syscall.Signal) error {
	select {
	case <-p.done:
		return fmt.Errorf("signal %s: %w", p.name, os.ErrProcessDone)
	default:
	}
	if err := p.cmd.Process.Signal(sig); err != nil {
		return fmt.Errorf("signal %s: %w", p.name, err)
	}
	return nil
}

// SignalGroup sends sig to every process of the group.
func (p *Proc) SignalGroup(sig syscall.Signal) error {
	if err := signalGroup(p.pgid, sig); err != nil {
		return fmt.Errorf("signal group of %s: %w", p.name, err)
	}
	return nil
}

// Members returns the live (not zombie) processes of the group.
func (p *Proc) Members() ([]int, error) { return groupMembers(p.pgid) }

// Close ends the group: SIGTERM to all, a grace period, SIGKILL to all,
// then waits for every member to be gone and the leader reaped. It returns
// ErrSurvived if a member outlives that; it is idempotent.
func (p *Proc) Close() error {
	p.closeOnce.Do(func() { p.closeErr = p.stop() })
	return p.closeErr
}

func (p *Proc) stop() error {
	err := p.endGroup()
	p.endGuard()
	if err != nil {
		return err
	}
	return p.removePidfile()
}

func (p *Proc) endGroup() error {
	if p.gone(0) {
		return nil
	}
	_ = signalGroup(p.pgid, syscall.SIGTERM)
	if p.gone(p.o.grace) {
		return nil
	}
	_ = signalGroup(p.pgid, syscall.SIGKILL)
	if p.gone(p.o.killWait) {
		return nil
	}
	members, _ := groupMembers(p.pgid)
	return fmt.Errorf("stop %s (group %d, members %v): %w", p.name, p.pgid, members, ErrSurvived)
}

// gone polls, for up to d, until the leader is reaped and the group has
// no live member.
func (p *Proc) gone(d time.Duration) bool {
	deadline := time.Now().Add(d)
	for {
		select {
		case <-p.done:
			if m, err := groupMembers(p.pgid); err == nil && len(m) == 0 {
				return true
			}
		default:
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(pollInterval)
	}
}

func (p *Proc) removePidfile() error {
	if err := os.Remove(p.pidfile); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove pidfile of %s: %w", p.name, err)
	}
	return nil
}

// Run starts cmd, waits for it (bounded by ctx) and closes its group: for
// the short commands (tshark -r, go list). It returns the wait error
// (an *exec.ExitError for a non-zero status) joined with Close's.
func Run(ctx context.Context, cmd *exec.Cmd, opts ...Option) error {
	p, err := Start(cmd, opts...)
	if err != nil {
		return err
	}
	werr := p.Wait(ctx)
	return errors.Join(werr, p.Close())
}

// TB is the part of testing.TB StartTB needs.
type TB interface {
	Helper()
	Cleanup(func())
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
}

// StartTB is Start for a test: it fails t if the start fails, and closes
// the group at t's cleanup, failing t if a member survives.
func StartTB(t TB, cmd *exec.Cmd, opts ...Option) *Proc {
	t.Helper()
	p, err := Start(cmd, opts...)
	if err != nil {
		t.Fatalf("%v", err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Errorf("%v", err)
		}
	})
	return p
}

func withoutMarker(env []string) []string {
	out := make([]string, 0, len(env)+1)
	for _, kv := range env {
		if !strings.HasPrefix(kv, MarkerEnv+"=") {
			out = append(out, kv)
		}
	}
	return out
}

func signalGroup(pgid int, sig syscall.Signal) error {
	if pgid <= 1 {
		return fmt.Errorf("signal group %d: invalid group", pgid)
	}
	if err := syscall.Kill(-pgid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		return err
	}
	return nil
}
