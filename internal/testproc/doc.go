// Package testproc starts the external processes tests use (Kamailio,
// SIPp, baresip, the pbxlab binary, tshark, go) so that none of them
// outlives the test that started it:
//
//   - each command runs in its own process group (Setpgid), so that
//     workers it forks (Kamailio's) are signalled with it;
//   - on Linux the kernel sends it SIGKILL when the test binary dies
//     (Pdeathsig), even by panic, timeout or SIGKILL; and a guard (a
//     shell reading a pipe only the test binary holds) sees that death as
//     end of file and sends SIGKILL to the whole group, which Pdeathsig
//     alone does not reach;
//   - Close sends SIGTERM to the whole group, waits a bounded while for
//     every member to exit, then sends SIGKILL to the group, and reaps;
//   - a pidfile per group, under a run directory per test binary
//     (DefaultRunDir()/<pid>), lets Sweep, called from a later TestMain,
//     kill the groups a test binary left when it died without cleanup.
//
// Pdeathsig and threads (https://go.dev/issue/27505): the kernel sends the
// signal when the OS thread that forked the child exits, not the process.
// The Go runtime exits a thread when a goroutine locked to it ends without
// unlocking, so a child forked on such a thread would be killed in the
// middle of its test. Start therefore forks from a goroutine of its own
// that locks its thread (runtime.LockOSThread) for the whole life of the
// child and waits for it there: that thread cannot exit before the child
// does. Pdeathsig reaches only the direct child; the guard kills the rest
// of the group (Kamailio's workers); Sweep is for what escaped the group
// (a daemon calling setsid) or outlived a guard that was itself killed.
//
// Processes are marked with the environment variable MarkerEnv, whose
// value names the test binary that started them; Sweep kills only marked
// processes, so a recycled process group id is never signalled.
//
// The package does not import testing; StartTB takes the part of
// testing.TB it needs.
package testproc
