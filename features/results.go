package features

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/cucumber/godog"
	messages "github.com/cucumber/messages/go/v34"

	"pbxlab/features/steps"
)

// Scenario and step statuses in a Result.
const (
	StatusPassed  = "passed"
	StatusFailed  = "failed"
	StatusSkipped = "skipped"
)

// Result counts the scenarios of a run and describes each one.
type Result struct {
	Scenarios, Passed, Failed, Skipped int
	// Failures are "<feature> / <scenario>: <error>" for every failed
	// scenario; the error names its capture files.
	Failures []string
	// Details describe every scenario that ran (or was skipped), in file
	// order.
	Details []ScenarioResult
}

// OK reports whether no scenario failed.
func (r Result) OK() bool { return r.Failed == 0 }

// ScenarioResult is the outcome of one scenario.
type ScenarioResult struct {
	Scenario
	// Status is StatusPassed, StatusFailed or StatusSkipped.
	Status string
	// Error is the scenario's error on one line ("" unless failed), or why
	// it was skipped.
	Error string
	// Steps are its steps in order, each with its own status.
	Steps []StepResult
	// Captures are the pcapng files the scenario wrote (the phones', then
	// the PBX's own in-process); empty when the run kept no files.
	Captures []string
	// Start and Duration time the scenario, hooks included.
	Start    time.Time
	Duration time.Duration
}

// StepResult is the outcome of one step.
type StepResult struct {
	// Keyword is Given, When or Then (what the step does; the feature
	// file's And/But are not kept by godog).
	Keyword string
	Text    string
	// Status is godog's: passed, failed, skipped, undefined, pending,
	// ambiguous; "" when the step never ran (the scenario ended before).
	Status string
	Error  string
}

// ValidateFormat checks a formatter list (see Options.Format).
func ValidateFormat(format string) error {
	avail := godog.AvailableFormatters()
	for _, f := range strings.Split(format, ",") {
		name, file, hasFile := strings.Cut(strings.TrimSpace(f), ":")
		if _, ok := avail[name]; !ok {
			names := make([]string, 0, len(avail))
			for n := range avail {
				names = append(names, n)
			}
			sort.Strings(names)
			return fmt.Errorf("%w: format %q: unknown formatter %q (want one of %s, each optionally :FILE)", ErrOptions, format, name, strings.Join(names, ", "))
		}
		if hasFile && strings.TrimSpace(file) == "" {
			return fmt.Errorf("%w: format %q: %q names no file", ErrOptions, format, f)
		}
	}
	return nil
}

// makeFormatDirs creates the directories of the formatters' files (godog
// creates the files only, and reports a missing directory on os.Stderr).
func makeFormatDirs(format string) error {
	for _, f := range strings.Split(format, ",") {
		if _, file, ok := strings.Cut(strings.TrimSpace(f), ":"); ok && file != "" {
			if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
				return fmt.Errorf("format %q: %w", f, err)
			}
		}
	}
	return nil
}

// recorder builds the Result from godog's hooks; it also gives every
// scenario its deadline. It is safe for concurrent scenarios.
type recorder struct {
	timeout time.Duration
	known   map[string]Scenario // by URI + "\x00" + name

	mu     sync.Mutex
	res    Result
	byID   map[string]*ScenarioResult // by pickle id
	steps  map[string]stepRef         // by pickle step id
	cancel map[string]context.CancelFunc
}

// stepRef locates a step's result.
type stepRef struct {
	res *ScenarioResult
	i   int
}

func newRecorder(known []Scenario, timeout time.Duration) *recorder {
	r := &recorder{
		timeout: timeout,
		known:   make(map[string]Scenario, len(known)),
		byID:    map[string]*ScenarioResult{},
		steps:   map[string]stepRef{},
		cancel:  map[string]context.CancelFunc{},
	}
	for _, s := range known {
		r.known[s.URI+"\x00"+s.Name] = s
	}
	return r
}

func (r *recorder) before(ctx context.Context, sc *godog.Scenario) (context.Context, error) {
	ctx, cancel := context.WithTimeoutCause(ctx, r.timeout,
		fmt.Errorf("%w: the scenario's deadline (%s) passed", steps.ErrExpectation, r.timeout))
	s, ok := r.known[sc.Uri+"\x00"+sc.Name]
	if !ok {
		s = Scenario{URI: sc.Uri, Name: sc.Name}
		for _, t := range sc.Tags {
			s.Tags = append(s.Tags, t.Name)
		}
	}
	res := &ScenarioResult{Scenario: s, Start: time.Now()}
	for _, st := range sc.Steps {
		res.Steps = append(res.Steps, StepResult{Keyword: keyword(st.Type), Text: st.Text})
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.byID[sc.Id] = res
	for i, st := range sc.Steps {
		r.steps[st.Id] = stepRef{res: res, i: i}
	}
	r.cancel[sc.Id] = cancel
	return ctx, nil
}

func keyword(t messages.PickleStepType) string {
	switch t {
	case messages.PickleStepType_CONTEXT:
		return "Given"
	case messages.PickleStepType_ACTION:
		return "When"
	case messages.PickleStepType_OUTCOME:
		return "Then"
	}
	return "*"
}

func (r *recorder) afterStep(ctx context.Context, st *godog.Step, status godog.StepResultStatus, err error) (context.Context, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	ref, ok := r.steps[st.Id]
	if !ok {
		return ctx, nil
	}
	step := &ref.res.Steps[ref.i]
	step.Status = status.String()
	if err != nil && status != godog.StepPassed && status != godog.StepSkipped {
		step.Error = oneLine(err.Error())
	}
	return ctx, nil
}

func (r *recorder) after(ctx context.Context, sc *godog.Scenario, err error) (context.Context, error) {
	var captures []string
	if !steps.Skipped(ctx) {
		captures = steps.Artifacts(ctx)
	}
	if cause := context.Cause(ctx); err != nil && cause != nil && !errors.Is(cause, context.Canceled) {
		err = fmt.Errorf("%w (%w)", err, cause)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if cancel := r.cancel[sc.Id]; cancel != nil {
		cancel()
		delete(r.cancel, sc.Id)
	}
	res := r.byID[sc.Id]
	if res == nil { // no before hook ran: cannot happen with godog, but keep the count right
		res = &ScenarioResult{Scenario: Scenario{URI: sc.Uri, Name: sc.Name}, Start: time.Now()}
		r.byID[sc.Id] = res
	}
	res.Duration = time.Since(res.Start)
	res.Captures = captures
	r.res.Scenarios++
	switch {
	case steps.Skipped(ctx) || errors.Is(err, godog.ErrSkip):
		r.res.Skipped++
		res.Status = StatusSkipped
		if steps.Skipped(ctx) {
			res.Error = "needs configuration control (" + steps.TagInProcess + "): skipped on a target that is not configurable"
		}
	case err == nil:
		r.res.Passed++
		res.Status = StatusPassed
	default:
		r.res.Failed++
		res.Status = StatusFailed
		res.Error = oneLine(err.Error())
		r.res.Failures = append(r.res.Failures, fmt.Sprintf("%s / %s: %s", sc.Uri, sc.Name, res.Error))
	}
	return ctx, nil
}

func (r *recorder) result() Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	res := r.res
	res.Failures = slices.Clone(r.res.Failures)
	res.Details = make([]ScenarioResult, 0, len(r.byID))
	for _, s := range r.byID {
		c := *s
		c.Steps = slices.Clone(s.Steps)
		c.Captures = slices.Clone(s.Captures)
		res.Details = append(res.Details, c)
	}
	slices.SortFunc(res.Details, func(a, b ScenarioResult) int {
		if c := strings.Compare(a.URI, b.URI); c != 0 {
			return c
		}
		return a.Line - b.Line
	})
	return res
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
