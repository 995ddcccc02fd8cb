package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"sync"
	"time"
)

// idleSettle is how long after the last registration --memprofile waits
// before measuring: the REGISTER transactions have ended (UDP Timer K,
// T4 = 5 s) and the phones are idle until their first refresh (at least
// half the lifetime, 30 s with the registrar's minimum of 60 s).
const idleSettle = 10 * time.Second

// simProfile is `pbxlab sim`'s --cpuprofile and --memprofile: a CPU
// profile of the whole run, and, idleSettle after every phone has
// registered, the memory of the idle registered population (heap after a
// GC, RSS) printed on stderr with a heap profile, for scripts/sim-100k.sh.
type simProfile struct {
	cpuFile, memFile string
	stderr           io.Writer
	cpu              *os.File

	mu      sync.Mutex // the measurement, against stop
	stopped bool
	timer   *time.Timer
}

// start begins the CPU profile, if asked for.
func (p *simProfile) start() error {
	if p.cpuFile == "" {
		return nil
	}
	f, err := os.Create(p.cpuFile)
	if err != nil {
		return fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		_ = f.Close()
		return fmt.Errorf("cpu profile: %w", err)
	}
	p.cpu = f
	return nil
}

// stop ends the CPU profile and cancels a measurement not yet made.
func (p *simProfile) stop() {
	p.mu.Lock()
	p.stopped = true
	if p.timer != nil {
		p.timer.Stop()
	}
	p.mu.Unlock()
	if p.cpu != nil {
		pprof.StopCPUProfile()
		_ = p.cpu.Close()
		p.cpu = nil
	}
}

// registered prints how long registering took and, with --memprofile,
// arranges the measurement of the idle population idleSettle later (if the
// run lasts that long).
func (p *simProfile) registered(phones int, took time.Duration) {
	fmt.Fprintf(p.stderr, "sim: %d phones registered in %s\n", phones, took.Round(time.Millisecond))
	if p.memFile == "" {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.timer = time.AfterFunc(idleSettle, func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		if !p.stopped {
			p.measure(phones)
		}
	})
}

// measure prints what the registered population weighs and writes the
// heap profile.
func (p *simProfile) measure(phones int) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	rss := rssBytes()
	fmt.Fprintf(p.stderr, "sim: %d idle phones: heap %d B after GC (%d B/phone), rss %d B (%d B/phone), goroutines %d\n",
		phones, ms.HeapAlloc, ms.HeapAlloc/uint64(max(phones, 1)),
		rss, rss/uint64(max(phones, 1)), runtime.NumGoroutine())
	f, err := os.Create(p.memFile)
	if err != nil {
		fmt.Fprintf(p.stderr, "sim: heap profile: %v\n", err)
		return
	}
	defer f.Close()
	if err := pprof.WriteHeapProfile(f); err != nil {
		fmt.Fprintf(p.stderr, "sim: heap profile: %v\n", err)
	}
}

// rssBytes is the process's resident set size (Linux; 0 elsewhere).
func rssBytes() uint64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	var size, res uint64
	if _, err := fmt.Sscan(string(b), &size, &res); err != nil {
		return 0
	}
	return res * uint64(os.Getpagesize())
}
