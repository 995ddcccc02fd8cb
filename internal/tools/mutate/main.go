// Command mutate is the mutation check (`make mutate`): it proves that the
// tests can fail. Each mutant of the list (mutants.yaml at the repository
// root) is a small source change that breaks one behaviour, and names the
// test(s) that must catch it. mutate applies each mutant to a scratch copy
// of the repository (the working tree is only read), runs
// `go test -count=1 -run PATTERN ./pkg/` there, and reports per mutant:
//
//   - KILLED: every top-level test the pattern selects failed (and the
//     output matches fails_with, when the mutant sets it); KILLED (timeout)
//     when the run hung until go test's -timeout (the mutant's timeout, 3m
//     by default): that timer fires inside the test binary, after the
//     build, and the same run passed within the same timeout without the
//     mutant (the baseline), so the test really hung on the mutant;
//   - SURVIVED: a selected test still passes (or skips) with the mutant,
//     or the run failed without fails_with's message;
//   - STALE: the mutant's old text is not found exactly once in its file
//     (the code changed: update the mutant);
//   - ERROR: the mutant does not build, the pattern selects no test, the
//     named tests do not pass without the mutant (the baseline), or go test
//     did not finish within the timeout plus -slack (a build or tool hang:
//     never counted as killed).
//
// It exits 0 only when every selected mutant is KILLED. Usage:
//
//	go run ./internal/tools/mutate [-only id,id] [-j 2] [-v] [-keep] [-baseline=false]
package main

import (
	"context"
	"flag"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

func main() {
	var cfg config
	var only string
	flag.StringVar(&cfg.root, "root", ".", "repository root")
	flag.StringVar(&cfg.list, "list", "mutants.yaml", "the mutant list (relative to -root)")
	flag.StringVar(&only, "only", "", "comma-separated ids of the mutants to run (default all)")
	flag.IntVar(&cfg.jobs, "j", 2, "mutants run at a time")
	flag.BoolVar(&cfg.baseline, "baseline", true, "first check that every named test passes without mutants")
	flag.BoolVar(&cfg.verbose, "v", false, "print the output of every go test run")
	flag.BoolVar(&cfg.keep, "keep", false, "keep the scratch copies")
	flag.DurationVar(&cfg.slack, "slack", 5*time.Minute, "time allowed beyond a mutant's timeout (building) before go test is killed")
	flag.StringVar(&cfg.goCmd, "go", "go", "the go command")
	flag.Parse()
	for _, id := range strings.Split(only, ",") {
		if id = strings.TrimSpace(id); id != "" {
			cfg.only = append(cfg.only, id)
		}
	}
	if !filepath.IsAbs(cfg.list) {
		cfg.list = filepath.Join(cfg.root, cfg.list)
	}
	cfg.out = os.Stdout
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, cfg)
	stop()
	os.Exit(code)
}
