package features

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/cucumber/godog"

	"pbxlab/features/steps"
)

// Target, InProcess and Live are the step library's targets, re-exported
// so callers need only this package.
type (
	Target    = steps.Target
	InProcess = steps.InProcess
	Live      = steps.Live
)

// DefaultTags excludes scenarios waiting on a PBX fix.
const DefaultTags = "~@wip"

// Options configure Run.
type Options struct {
	// Target is the PBX under test (a *InProcess or a *Live). Required.
	Target Target
	// Tags is a godog tag expression, e.g. "@manual && ~@wip"; "" means
	// DefaultTags.
	Tags string
	// Output is the directory for each scenario's capture
	// (<scenario>.pcapng, <scenario>.pbx.pcapng in-process); "" keeps them
	// in memory only.
	Output string
	// Format is a godog formatter: pretty, progress, cucumber, junit,
	// events; default "pretty".
	Format string
	// Out receives the formatter's output; default io.Discard.
	Out io.Writer
	// Concurrency is how many scenarios run at once; default 1.
	Concurrency int
	// Wait bounds every wait inside a step; default 10 s.
	Wait time.Duration
	// Logger receives the simulated phones' logs; default discard.
	Logger *slog.Logger
	// Randomize shuffles the scenarios with this seed (-1: a random one).
	Randomize int64
}

// Result counts the scenarios of a run.
type Result struct {
	Scenarios, Passed, Failed, Skipped int
	// Failures are "<feature> / <scenario>: <error>" for every failed
	// scenario; the error names its capture files.
	Failures []string
}

// OK reports whether no scenario failed.
func (r Result) OK() bool { return r.Failed == 0 }

// Run executes the embedded features against o.Target. A failing scenario
// is reported in Result, not as an error; the error is for a run that
// could not happen (bad options) or that godog reported as failed without
// a failing scenario (e.g. undefined steps in strict mode).
func Run(ctx context.Context, o Options) (Result, error) {
	suite, rec, err := newSuite(ctx, o, files, dirs())
	if err != nil {
		return Result{}, err
	}
	status := suite.Run()
	res := rec.result()
	switch {
	case status == 2:
		return res, fmt.Errorf("run features: %w (godog exit status 2)", ErrOptions)
	case status != 0 && res.Failed == 0:
		return res, fmt.Errorf("run features: godog failed (status %d) without a failing scenario", status)
	}
	return res, nil
}

// newSuite builds the godog suite and the result recorder. The test sets
// Options.TestingT on the returned suite.
func newSuite(ctx context.Context, o Options, fsys fs.FS, dirs []string) (*godog.TestSuite, *recorder, error) {
	lib, err := steps.New(steps.Config{Target: o.Target, Output: o.Output, Wait: o.Wait, Logger: o.Logger})
	if err != nil {
		return nil, nil, fmt.Errorf("run features: %w: %w", ErrOptions, err)
	}
	if o.Tags == "" {
		o.Tags = DefaultTags
	}
	if o.Format == "" {
		o.Format = "pretty"
	}
	if o.Out == nil {
		o.Out = io.Discard
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 1
	}
	rec := &recorder{}
	suite := &godog.TestSuite{
		Name: "pbxlab",
		ScenarioInitializer: func(sc *godog.ScenarioContext) {
			lib.InitializeScenario(sc)
			sc.After(rec.after) // last: sees the error of every other hook
		},
		Options: &godog.Options{
			Strict:         true,
			Format:         o.Format,
			Output:         o.Out,
			NoColors:       true,
			Tags:           o.Tags,
			Concurrency:    o.Concurrency,
			Randomize:      o.Randomize,
			FS:             fsys,
			Paths:          dirs,
			DefaultContext: ctx,
		},
	}
	return suite, rec, nil
}

// recorder counts scenario outcomes from an After hook.
type recorder struct {
	mu  sync.Mutex
	res Result
}

func (r *recorder) after(ctx context.Context, sc *godog.Scenario, err error) (context.Context, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.res.Scenarios++
	switch {
	case steps.Skipped(ctx) || errors.Is(err, godog.ErrSkip):
		r.res.Skipped++
	case err == nil:
		r.res.Passed++
	default:
		r.res.Failed++
		r.res.Failures = append(r.res.Failures, fmt.Sprintf("%s / %s: %s", sc.Uri, sc.Name, oneLine(err.Error())))
	}
	return ctx, nil
}

func (r *recorder) result() Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	res := r.res
	res.Failures = append([]string(nil), r.res.Failures...)
	return res
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
