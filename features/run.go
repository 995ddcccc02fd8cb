package features

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
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

// DefaultScenarioTimeout is the default Options.ScenarioTimeout.
const DefaultScenarioTimeout = 3 * time.Minute

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
	// Format is a comma-separated list of godog formatters (pretty,
	// progress, cucumber, junit, events), each optionally followed by
	// ":FILE" to write it to FILE instead of Out, e.g.
	// "pretty,junit:report.xml,cucumber:report.json"; default "pretty".
	Format string
	// Out receives the output of the formatters without a file; default
	// io.Discard.
	Out io.Writer
	// Concurrency is how many scenarios run at once; default 1.
	Concurrency int
	// Wait bounds every wait inside a step; default 10 s.
	Wait time.Duration
	// ScenarioTimeout bounds a whole scenario, hooks included: when it
	// passes, the step waiting fails and the scenario with it; default
	// DefaultScenarioTimeout.
	ScenarioTimeout time.Duration
	// Logger receives the simulated phones' logs; default discard.
	Logger *slog.Logger
	// Randomize shuffles the scenarios with this seed (-1: a random one).
	Randomize int64
	// UpdateGolden, when not "", is the folder the call-flow steps write
	// each scenario's flow to instead of comparing it with the golden one
	// (go test ./features/ -update writes pcaps/golden).
	UpdateGolden string
}

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
	lib, err := steps.New(steps.Config{Target: o.Target, Output: o.Output, Wait: o.Wait, Logger: o.Logger, UpdateGolden: o.UpdateGolden})
	if err != nil {
		return nil, nil, fmt.Errorf("run features: %w: %w", ErrOptions, err)
	}
	if o.Tags == "" {
		o.Tags = DefaultTags
	}
	if err := ValidateTags(o.Tags); err != nil {
		return nil, nil, fmt.Errorf("run features: %w", err)
	}
	if o.Format == "" {
		o.Format = "pretty"
	}
	if err := ValidateFormat(o.Format); err != nil {
		return nil, nil, fmt.Errorf("run features: %w", err)
	}
	if err := makeFormatDirs(o.Format); err != nil {
		return nil, nil, fmt.Errorf("run features: %w: %w", ErrOptions, err)
	}
	if o.ScenarioTimeout <= 0 {
		o.ScenarioTimeout = DefaultScenarioTimeout
	}
	known, err := listScenarios(fsys, dirs, "")
	if err != nil {
		return nil, nil, fmt.Errorf("run features: %w", err)
	}
	if o.Out == nil {
		o.Out = io.Discard
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 1
	}
	rec := newRecorder(known, o.ScenarioTimeout)
	suite := &godog.TestSuite{
		Name: "pbxlab",
		ScenarioInitializer: func(sc *godog.ScenarioContext) {
			sc.Before(rec.before) // first: the scenario's deadline covers every other hook
			lib.InitializeScenario(sc)
			sc.StepContext().After(rec.afterStep)
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
