// Command pbxlab is the one binary of the project: the PBX (serve), the
// phone simulator (sim), the demo (demo), the CDR lister (cdr) and the
// conformance runner (conform).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	_ "time/tzdata" // route schedules' time zones in a scratch image without zoneinfo

	"pbxlab/internal/sipstack"
)

const usage = `usage: pbxlab <command> [flags]

commands:
  serve   run the PBX                     pbxlab serve [--config FILE] [--listen udp:127.0.0.1:5060] [--capture out.pcapng]
  sim     run a simulated population      pbxlab sim scenarios/smoke.yaml --target 127.0.0.1:5060
  demo    PBX + 50 phones + features      pbxlab demo
  cdr     list call detail records        pbxlab cdr --store pbxlab.db [--since 1h] [--format table|csv|json]
  flow    a capture's normalised call flow pbxlab flow call.pcapng [--html call.html] [--compare pcaps/golden/basic-call.flow]
  conform the BDD suite against any PBX   pbxlab conform --target 127.0.0.1:5060 --profile conform/targets/pbxlab.yaml [--tags EXPR] [--torture]
  replay  a capture against a live PBX    pbxlab replay call.pcapng --target 127.0.0.1:5060 [--pace fast] [--credentials creds.yaml] [--html diff.html]

run 'pbxlab <command> -h' for the flags of one command.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, processSetup{sip: sipstack.Setup, adaptProcs: true}))
}

// processSetup is what a command may set of its own process, once, before
// it starts anything. Tests that run commands in-process pass their own:
// the test process set sipgo up in TestMain, and its GOMAXPROCS is the
// test binary's.
type processSetup struct {
	// sip applies sipgo's process-wide settings (sipstack.Setup in main).
	sip func(sipstack.Settings) error
	// adaptProcs lets serve and sim run an internal/procs Controller
	// (procs.go).
	adaptProcs bool
}

// run dispatches a subcommand and returns the process exit code.
func run(args []string, stdout, stderr io.Writer, setup processSetup) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	stdout, stderr = lockWriters(stdout, stderr)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch args[0] {
	case "serve":
		err = cmdServe(ctx, args[1:], stdout, stderr, setup)
	case "sim":
		err = cmdSim(ctx, args[1:], stdout, stderr, setup)
	case "demo":
		err = cmdDemo(ctx, args[1:], stdout, stderr, setup)
	case "cdr":
		err = cmdCDR(ctx, args[1:], stdout, stderr)
	case "conform":
		err = cmdConform(ctx, args[1:], stdout, stderr, setup)
	case "flow":
		err = cmdFlow(args[1:], stdout, stderr)
	case "replay":
		err = cmdReplay(ctx, args[1:], stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "pbxlab: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	var exit exitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit):
		fmt.Fprintf(stderr, "pbxlab %s: %v\n", args[0], err)
		return exit.code
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "pbxlab %s: %v\n", args[0], err)
		return 2
	default:
		fmt.Fprintf(stderr, "pbxlab %s: %v\n", args[0], err)
		return 1
	}
}

var errUsage = errors.New("usage")

// newLogger builds the process logger: text or json on stderr.
func newLogger(w io.Writer, level slog.Level, format string) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if strings.EqualFold(format, "json") {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func slogLevel(verbose bool) slog.Level {
	if verbose {
		return slog.LevelDebug
	}
	return slog.LevelWarn
}
