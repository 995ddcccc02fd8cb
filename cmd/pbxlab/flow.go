package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"

	"pbxlab/internal/flow"
	"pbxlab/internal/pcapio"
	"pbxlab/internal/sipwire"
)

// errDiverged: pbxlab flow --compare found a difference (exit code 1).
var errDiverged = errors.New("the capture's call flow differs from the reference")

// cmdFlow prints a capture's normalised call flow, optionally as HTML and
// compared with a reference flow.
func cmdFlow(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("flow", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sut := fs.String("sut", "", "address:port of the system under test (default: the party that talks to the most others)")
	html := fs.String("html", "", "also write the flow, its ladder and any comparison as an HTML page to this file")
	compare := fs.String("compare", "", "compare with this reference flow (a .flow file); exit code 1 when they differ")
	tol := addToleranceFlags(fs)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: pbxlab flow FILE.pcap[ng] [--sut ADDR:PORT] [--html OUT.html] [--compare REF.flow]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("want one capture file: %w", errUsage)
	}
	path := fs.Arg(0)
	var opts []flow.Option
	if *sut != "" {
		addr, err := netip.ParseAddrPort(*sut)
		if err != nil {
			return fmt.Errorf("--sut %q: %v: %w", *sut, err, errUsage)
		}
		opts = append(opts, flow.WithSUT(addr))
	}
	pkts, readErr := pcapio.ReadFile(path)
	msgs := sipwire.FromPackets(pkts)
	if readErr != nil && len(msgs) == 0 {
		return readErr
	}
	if readErr != nil {
		fmt.Fprintf(stderr, "pbxlab flow: %v (the flow below holds the messages before the damage)\n", readErr)
	}
	if len(msgs) == 0 {
		return fmt.Errorf("flow %s: %w", path, flow.ErrNoSIP)
	}
	f := flow.New(msgs, opts...)
	var res *flow.Result
	if *compare != "" {
		ref, err := readFlow(*compare)
		if err != nil {
			return err
		}
		r := flow.Compare(ref, f, tol.options()...)
		res = &r
		if err := r.WriteText(stdout); err != nil {
			return err
		}
	} else if err := f.WriteText(stdout); err != nil {
		return err
	}
	if *html != "" {
		out, err := os.Create(*html)
		if err != nil {
			return fmt.Errorf("flow html: %w", err)
		}
		err = f.WriteHTML(out, filepath.Base(path), f.Ladder(pkts), res)
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	if res != nil && !res.Equal() {
		return fmt.Errorf("flow %s against %s: %w", path, *compare, errDiverged)
	}
	return nil
}

// readFlow reads a reference flow file.
func readFlow(path string) (flow.Flow, error) {
	file, err := os.Open(path)
	if err != nil {
		return flow.Flow{}, fmt.Errorf("read flow: %w", err)
	}
	defer file.Close()
	f, err := flow.ParseText(file)
	if err != nil {
		return f, fmt.Errorf("read flow %s: %w", path, err)
	}
	return f, nil
}
