// Package progress shows a simulator run while it runs: on a terminal one
// line redrawn in place, elsewhere (CI logs) a plain line every few
// seconds. It reads the run's live state (report.Live) and writes to an
// io.Writer; the caller decides where and how often.
package progress

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"pbxlab/sim/report"
)

// ErrMode means a --progress value is not one of auto, tty, plain, off.
var ErrMode = errors.New("progress mode must be auto, tty, plain or off")

// Mode is how progress is shown.
type Mode string

// The modes: Auto picks TTY on a terminal and Plain elsewhere.
const (
	Auto  Mode = "auto"
	TTY   Mode = "tty"
	Plain Mode = "plain"
	Off   Mode = "off"
)

// ParseMode reads a --progress value.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(s); m {
	case Auto, TTY, Plain, Off:
		return m, nil
	}
	return "", fmt.Errorf("progress %q: %w", s, ErrMode)
}

// Resolve turns Auto into TTY or Plain by whether the output is a terminal.
func (m Mode) Resolve(terminal bool) Mode {
	if m != Auto {
		return m
	}
	if terminal {
		return TTY
	}
	return Plain
}

// Interval is how often a mode redraws: a terminal twice a second, a log
// every 5 s; 0 for Off.
func (m Mode) Interval() time.Duration {
	switch m {
	case TTY:
		return 500 * time.Millisecond
	case Plain:
		return 5 * time.Second
	}
	return 0
}

// Printer writes progress lines in one mode (TTY or Plain).
type Printer struct {
	w     io.Writer
	tty   bool
	total time.Duration
	drawn bool
}

// NewPrinter writes to w; total is the run's planned length (the calls'
// duration) for the time remaining, 0 when unknown.
func NewPrinter(w io.Writer, m Mode, total time.Duration) *Printer {
	return &Printer{w: w, tty: m == TTY, total: total}
}

// Print shows s: redrawn in place on a terminal, one line otherwise.
func (p *Printer) Print(s report.Snapshot) error {
	line := Line(s, p.total)
	if p.tty {
		// carriage return, erase the line: the panel stays one line
		line = "\r\x1b[2K" + line
	} else {
		line += "\n"
	}
	p.drawn = true
	_, err := io.WriteString(p.w, line)
	return err
}

// Done ends the terminal's line so what follows starts on its own.
func (p *Printer) Done() error {
	if !p.tty || !p.drawn {
		return nil
	}
	p.drawn = false
	_, err := io.WriteString(p.w, "\n")
	return err
}

// Line is the one-line summary of s.
func Line(s report.Snapshot, total time.Duration) string {
	var b strings.Builder
	el := s.Elapsed.Truncate(time.Second)
	switch {
	case total > 0 && el < total:
		fmt.Fprintf(&b, "%s/%s (%s left)", el, total, total-el)
	case total > 0:
		fmt.Fprintf(&b, "%s/%s (winding up)", el, total)
	default:
		fmt.Fprintf(&b, "%s", el)
	}
	fmt.Fprintf(&b, "  %.1f calls/s  in progress %d  registered %d", s.Rate, s.InProgress, s.Registered)
	if s.RegisterFailed > 0 {
		fmt.Fprintf(&b, " (%d REGISTER failed)", s.RegisterFailed)
	}
	fmt.Fprintf(&b, "  answered %d  failed %d%s", s.Answered, s.Failed, codes(s.FailedByCode))
	if s.Unexpected > 0 {
		fmt.Fprintf(&b, "  unexpected %d", s.Unexpected)
	}
	if s.Skipped > 0 {
		fmt.Fprintf(&b, "  skipped %d", s.Skipped)
	}
	if s.SetupP95 > 0 {
		fmt.Fprintf(&b, "  setup p95 %s", s.SetupP95.Round(time.Millisecond))
	}
	return b.String()
}

// codes is " (486×2, none×1)" by code.
func codes(m map[int]int) string {
	if len(m) == 0 {
		return ""
	}
	keys := slices.Sorted(maps.Keys(m))
	parts := make([]string, len(keys))
	for i, k := range keys {
		label := fmt.Sprint(k)
		if k == 0 {
			label = "none"
		}
		parts[i] = fmt.Sprintf("%s×%d", label, m[k])
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

// Run prints l's snapshot at every tick until ctx ends, then once more
// (the final state) and ends the line. Nothing is printed before the run
// started. It returns the first write error.
func Run(ctx context.Context, p *Printer, l *report.Live, tick <-chan time.Time) error {
	show := func() error {
		if s, ok := l.Snapshot(); ok {
			return p.Print(s)
		}
		return nil
	}
	for {
		select {
		case <-ctx.Done():
			if err := show(); err != nil {
				return err
			}
			return p.Done()
		case <-tick:
			if err := show(); err != nil {
				return err
			}
		}
	}
}
