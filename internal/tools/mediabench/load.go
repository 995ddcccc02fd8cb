package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"pbxlab/internal/rtpaudio"
)

// load is a set of calls between simulated endpoints through one server.
type load interface {
	// grow adds calls up to n in total.
	grow(ctx context.Context, n int) error
	// streams returns the stats of every receiving stream (two per call).
	streams() []rtpaudio.Stats
	close()
}

// level is one measured step of the ramp.
type level struct {
	calls, streams int
	window         time.Duration
	serverCPU      time.Duration // in the window
	selfCPU        time.Duration // the simulator's (this process), in the window
	rss            int64         // server RSS at the end of the window
	lossPct        float64       // packets lost / expected in the window, all streams
	jitter         time.Duration // mean interarrival jitter of the streams (RFC 3550)
	received       uint64        // packets received in the window, all streams
}

// cpuPerStream is the server's CPU per relayed stream (one direction of
// one call), in CPU-µs per second.
func (l level) cpuPerStream() float64 {
	if l.streams == 0 || l.window == 0 {
		return math.NaN()
	}
	return float64(l.serverCPU.Microseconds()) / l.window.Seconds() / float64(l.streams)
}

// measure lets the load settle, then counts a window.
func measure(ctx context.Context, pid int, ld load, calls int, settle, window time.Duration) (level, error) {
	if err := sleepCtx(ctx, settle); err != nil {
		return level{}, err
	}
	before := ld.streams()
	c0, err1 := cpuTime(pid)
	s0, err2 := selfCPU()
	t0 := time.Now()
	if err := errors.Join(err1, err2); err != nil {
		return level{}, err
	}
	if err := sleepCtx(ctx, window); err != nil {
		return level{}, err
	}
	after := ld.streams()
	c1, err1 := cpuTime(pid)
	s1, err2 := selfCPU()
	mem, err3 := rss(pid)
	if err := errors.Join(err1, err2, err3); err != nil {
		return level{}, err
	}
	l := level{calls: calls, streams: len(after), window: time.Since(t0), serverCPU: c1 - c0, selfCPU: s1 - s0, rss: mem}
	var got, lost int64
	var jit float64
	for i, a := range after {
		var b rtpaudio.Stats
		if i < len(before) {
			b = before[i]
		}
		got += int64(a.PacketsIn - b.PacketsIn)
		lost += a.Lost - b.Lost
		jit += a.Jitter
	}
	l.received = uint64(got)
	if got+lost > 0 {
		l.lossPct = 100 * float64(max(lost, 0)) / float64(got+max(lost, 0))
	}
	if len(after) > 0 {
		l.jitter = time.Duration(jit / float64(len(after)) / 8000 * float64(time.Second))
	}
	if l.received == 0 {
		return l, fmt.Errorf("measure %d calls: %w", calls, errNoMedia)
	}
	return l, nil
}

var errNoMedia = errors.New("no RTP received")

// parallel runs f(ctx, i) for i in [from, to), at most limit at a time; the
// first error cancels the rest and is returned.
func parallel(ctx context.Context, from, to, limit int, f func(context.Context, int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	for i := from; i < to; i++ {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := f(ctx, i); err != nil {
				cancel(err)
			}
		})
	}
	wg.Wait()
	return context.Cause(ctx)
}
