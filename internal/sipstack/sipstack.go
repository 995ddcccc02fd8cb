// Package sipstack is the one place that sets sipgo's package-level
// settings. sipgo keeps some settings as variables of its sip package, read
// by every transport and transaction of the process: the largest UDP
// message it writes (sip.UDPMTUSize), the size of a socket read
// (sip.TransportBufferReadSize), the RFC 3261 transaction timers
// (sip.SetTimers → Timer_A…M), the delay before 100 Trying (sip.Timer_1xx)
// and the logger of code paths that have no injected one
// (sip.SetDefaultLogger). They are per process, not per user agent: a PBX
// and a simulated phone in one process share them.
//
// Every entry point calls Setup once, before any server starts: cmd/pbxlab
// for each command, and a TestMain in each test package that runs sipgo.
// Library constructors (pbx.New, phone.NewAgent) call Ensure, which applies
// Defaults when no Setup ran and otherwise keeps what the entry point chose.
// A second Setup with the same Settings is a no-op; with different Settings
// it fails with ErrConflict and changes nothing: sipgo reads these
// variables without synchronisation, so they must not change once a
// transport runs.
//
// The record of what was applied is mutable package state, on purpose: it
// mirrors sipgo's own globals, which are per process whatever pbxlab does.
// It is guarded by a mutex, so Setup and Ensure are safe from any goroutine
// (and inside a synctest bubble) as long as no sipgo transport runs yet.
package sipstack

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
)

// Settings are sipgo's process-wide settings. The zero value is not valid;
// start from Defaults.
type Settings struct {
	// UDPMTUSize is sip.UDPMTUSize: sipgo refuses to write a UDP message
	// longer than UDPMTUSize-200 bytes. RFC 3261 §18.1.1 moves a large
	// request to a congestion-controlled transport, but a response goes back
	// over the transport its request came on (§18.2.2): a 407 to a long
	// INVITE (RFC 4475 §3.1.1.7) could otherwise never be sent. pbxlab lets
	// IP fragmentation carry such messages, as other SIP servers do.
	// 1500 to 65535. Default 65535.
	UDPMTUSize int
	// ReadBufferSize is sip.TransportBufferReadSize, the buffer of one
	// socket read: a longer UDP datagram is cut to it and then fails to
	// parse. Default 65535, so any UDP datagram (at most 65,527 bytes of
	// payload) is read in full; sipgo's own default is 32768. At least 4096.
	ReadBufferSize uint16
	// T1 is the round-trip estimate of RFC 3261 §17.1.1.1; sipgo derives
	// Timer A, B, E, F, G, H, J, L and M from it. Default 500ms.
	T1 time.Duration
	// T2 caps the retransmission interval of non-INVITE requests and of
	// INVITE responses. Greater than T1. Default 4s.
	T2 time.Duration
	// T4 is how long a message may remain in the network (Timer I and K).
	// Default 5s.
	T4 time.Duration
	// Timer1xx is how long a server INVITE transaction waits before it
	// sends 100 Trying (RFC 3261 §17.2.1 asks for 200 ms). Default 200ms.
	Timer1xx time.Duration
	// Logger receives what sipgo logs through sip.DefaultLogger (warnings
	// of its connection pool, parse failures of lazily parsed headers):
	// code paths that have no logger passed in. nil leaves sipgo's default,
	// slog.Default(). Compared by identity: a second Setup must pass the
	// same logger.
	Logger *slog.Logger
}

// Defaults returns the settings every pbxlab process uses unless its entry
// point says otherwise.
func Defaults() Settings {
	return Settings{
		UDPMTUSize:     65535,
		ReadBufferSize: 65535,
		T1:             500 * time.Millisecond,
		T2:             4 * time.Second,
		T4:             5 * time.Second,
		Timer1xx:       200 * time.Millisecond,
	}
}

// Validate reports settings sipgo cannot run with, as an error wrapping
// ErrInvalid.
func (s Settings) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), ErrInvalid))
	}
	if s.UDPMTUSize < 1500 || s.UDPMTUSize > 65535 {
		bad("udp mtu size %d not in 1500..65535", s.UDPMTUSize)
	}
	if s.ReadBufferSize < 4096 {
		bad("read buffer size %d below 4096", s.ReadBufferSize)
	}
	if s.T1 <= 0 {
		bad("t1 %s not positive", s.T1)
	}
	if s.T2 <= s.T1 {
		bad("t2 %s not greater than t1 %s", s.T2, s.T1)
	}
	if s.T4 <= 0 {
		bad("t4 %s not positive", s.T4)
	}
	if s.Timer1xx <= 0 {
		bad("timer 1xx %s not positive", s.Timer1xx)
	}
	return errors.Join(errs...)
}

// String describes the settings without the logger.
func (s Settings) String() string {
	return fmt.Sprintf("udp_mtu=%d read_buffer=%d t1=%s t2=%s t4=%s timer_1xx=%s logger=%t",
		s.UDPMTUSize, s.ReadBufferSize, s.T1, s.T2, s.T4, s.Timer1xx, s.Logger != nil)
}

// Setup applies s to sipgo for the whole process. Call it once from the
// entry point (main, TestMain) before any sipgo transport runs. A later call
// with equal settings returns nil; with other settings, or after Ensure
// applied Defaults and s differs from them, it returns an error wrapping
// ErrConflict and changes nothing.
func Setup(s Settings) error { return process.setup(s) }

// Ensure returns the settings in force, applying Defaults first when no
// Setup ran. Library constructors call it so that a program that never calls
// Setup still runs with pbxlab's defaults; it never changes settings an
// entry point chose.
func Ensure() Settings { return process.ensure() }

// Current returns the settings in force and whether any were applied.
func Current() (Settings, bool) { return process.current() }

// process is the record of what this process applied to sipgo (see the
// package comment for why it is package state).
var process = &stack{apply: applySipgo}

// stack records the applied settings; apply writes them to the library.
type stack struct {
	apply func(Settings)

	mu      sync.Mutex
	applied bool
	cur     Settings
}

func (st *stack) setup(s Settings) error {
	if err := s.Validate(); err != nil {
		return fmt.Errorf("set up sip stack: %w", err)
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.applied {
		if st.cur != s {
			return fmt.Errorf("set up sip stack with %s: %w: %s in force", s, ErrConflict, st.cur)
		}
		return nil
	}
	st.apply(s)
	st.applied, st.cur = true, s
	return nil
}

func (st *stack) ensure() Settings {
	st.mu.Lock()
	defer st.mu.Unlock()
	if !st.applied {
		d := Defaults()
		st.apply(d)
		st.applied, st.cur = true, d
	}
	return st.cur
}

func (st *stack) current() (Settings, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.cur, st.applied
}

// applySipgo writes s to sipgo's package variables. Settings sipgo has that
// pbxlab leaves at sipgo's defaults: TransportIdleConnection,
// TransactionFSMDebug, TxSeperator.
func applySipgo(s Settings) {
	sip.UDPMTUSize = s.UDPMTUSize
	sip.TransportBufferReadSize = s.ReadBufferSize
	sip.SetTimers(s.T1, s.T2, s.T4)
	sip.Timer_1xx = s.Timer1xx
	if s.Logger != nil {
		sip.SetDefaultLogger(s.Logger)
	}
}
