package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"pbxlab/internal/capmut"
	"pbxlab/internal/sipwire"
)

// config is what the flags say.
type config struct {
	template   string
	out        string
	copies     int
	size       int64
	concurrent int
	rtp        bool
	gap        time.Duration
	talk       time.Duration
	sut        string
	users      uint64
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	var size string
	fs := flag.NewFlagSet("bigcap", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.template, "template", "", "the template capture (pcapng or pcap), e.g. pcaps/golden/basic-call.pcapng")
	fs.StringVar(&c.out, "o", "", "the capture to write")
	fs.IntVar(&c.copies, "dialogs", 0, "copies of the template to write (each holds the template's dialogs)")
	fs.StringVar(&size, "size", "", "write copies until the file reaches this size (1GB, 200MB, 64KB; 1GB = 2^30 bytes)")
	fs.IntVar(&c.concurrent, "concurrent", 1, "copies in progress at once (interleaved)")
	fs.BoolVar(&c.rtp, "rtp", false, "add synthetic G.711 RTP to every answered dialog")
	fs.DurationVar(&c.gap, "gap", 100*time.Millisecond, "pause between one copy's end and the next copy's start (before -concurrent divides it)")
	fs.DurationVar(&c.talk, "talk", 0, "lengthen each copy's answered calls by this much (messages from the first BYE on come later; with -rtp the media fills it)")
	fs.StringVar(&c.sut, "sut", "", "the SUT's address in the template (default: the flow's PBX)")
	fs.Uint64Var(&c.users, "users", 0, "give each copy users of its own, numbered from this one (0: every copy keeps the template's users, and copies that overlap share registrations)")
	if err := fs.Parse(args); err != nil {
		return c, fmt.Errorf("%w: %w", errUsage, err)
	}
	if size != "" {
		n, err := parseSize(size)
		if err != nil {
			return c, fmt.Errorf("%w: -size: %w", errUsage, err)
		}
		c.size = n
	}
	switch {
	case c.template == "" || c.out == "":
		return c, fmt.Errorf("%w: -template and -o are required", errUsage)
	case c.copies <= 0 && c.size <= 0:
		return c, fmt.Errorf("%w: give -dialogs N or -size SIZE", errUsage)
	case c.copies < 0 || c.size < 0 || c.concurrent < 1 || c.gap < 0 || c.talk < 0:
		return c, fmt.Errorf("%w: -dialogs, -size, -gap and -talk must not be negative, -concurrent at least 1", errUsage)
	case fs.NArg() > 0:
		return c, fmt.Errorf("%w: unexpected arguments %q", errUsage, fs.Args())
	}
	return c, nil
}

// parseSize reads "1GB", "200MB", "64KB", "512B" or a plain byte count
// (binary units: 1KB = 1024 bytes).
func parseSize(s string) (int64, error) {
	u := strings.ToUpper(strings.TrimSpace(s))
	mult := int64(1)
	for _, unit := range []struct {
		suffix string
		mult   int64
	}{{"GIB", 1 << 30}, {"MIB", 1 << 20}, {"KIB", 1 << 10}, {"GB", 1 << 30}, {"MB", 1 << 20}, {"KB", 1 << 10}, {"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10}, {"B", 1}} {
		if rest, ok := strings.CutSuffix(u, unit.suffix); ok {
			u, mult = strings.TrimSpace(rest), unit.mult
			break
		}
	}
	n, err := strconv.ParseInt(u, 10, 64)
	if err != nil || n <= 0 || n > (1<<50)/mult {
		return 0, fmt.Errorf("size %q: want a positive number with an optional unit (B, KB, MB, GB)", s)
	}
	return n * mult, nil
}

// run is the command: flags, template, generation, summary.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	msgs, err := sipwire.ReadFile(c.template)
	if err != nil {
		return fmt.Errorf("bigcap template: %w", err)
	}
	var opts []capmut.Option
	if c.users > 0 {
		opts = append(opts, capmut.WithUsers(c.users))
	}
	if c.sut != "" {
		a, err := netip.ParseAddrPort(c.sut)
		if err != nil {
			return fmt.Errorf("%w: -sut: %w", errUsage, err)
		}
		opts = append(opts, capmut.WithSUT(a))
	}
	tpl, err := capmut.NewTemplate(msgs, opts...)
	if err != nil {
		return fmt.Errorf("bigcap: %w", err)
	}
	f, err := os.Create(c.out)
	if err != nil {
		return fmt.Errorf("bigcap: %w", err)
	}
	start := time.Now()
	bw := bufio.NewWriterSize(f, 1<<20)
	cw := &countWriter{w: bw}
	st, err := generate(ctx, tpl, c, cw, cw)
	err = errors.Join(err, bw.Flush(), f.Close())
	if err != nil {
		return fmt.Errorf("bigcap %s: %w", c.out, err)
	}
	el := time.Since(start)
	fmt.Fprintf(stdout, "bigcap: %s: %d copies of %s, %d dialogs, %d SIP messages, %d RTP packets, %d bytes (%.1f MiB) in %s (%.1f MiB/s)\n",
		c.out, st.copies, c.template, st.copies*tpl.Calls(), st.sip, st.rtp, cw.n, float64(cw.n)/(1<<20), el.Round(time.Millisecond), float64(cw.n)/(1<<20)/el.Seconds())
	return nil
}

// countWriter counts the bytes that reach the file.
type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
