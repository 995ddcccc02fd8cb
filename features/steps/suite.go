// Package steps holds the step definitions of pbxlab's BDD suite (the
// feature files are in the parent package, features). Steps drive
// simulated phones (pbxlab/sim/phone) and, where the simulator cannot play
// a part, raw SIP fixtures against a Target: InProcess starts a fresh PBX
// per scenario, Live drives a running one.
//
// Every scenario's state lives in its context.Context. Every wait is
// bounded. Every scenario records the SIP and RTP it caused to
// <Output>/<scenario>.pcapng (and the in-process PBX's own view to
// <scenario>.pbx.pcapng); a failing scenario names those files in its error
// and attaches their paths. A scenario that placed a call but never
// asserted how it ended fails.
package steps

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cucumber/godog"

	"pbxlab/internal/clock"
	"pbxlab/pcaps"
	"pbxlab/sim/phone"
	"pbxlab/sim/quality"
)

// Config configures the step library for one run.
type Config struct {
	// Target is the PBX under test. Required.
	Target Target
	// Output is the directory for the scenarios' captures; "" keeps them
	// in memory only.
	Output string
	// Wait bounds every wait of a step (a ring, an answer, a final
	// response, an audio check); default 10 s.
	Wait time.Duration
	// Logger receives the phones' logs; default discard.
	Logger *slog.Logger
	// Clock times the quiet windows of negative steps ("does not ring");
	// default the wall clock. Media, SIP and the other waits run in real
	// time regardless.
	Clock clock.Clock
	// Golden holds the reference call flows the step "the call flow
	// matches `pcaps/golden/NAME.flow`" compares with; default the
	// committed ones (pcaps.Golden).
	Golden fs.FS
	// UpdateGolden, when not "", is the folder the flow steps write the
	// scenario's flow to instead of comparing (go test -update).
	UpdateGolden string
}

// TagInProcess marks scenarios that need configuration control; they are
// skipped on a target that is not Configurable.
const TagInProcess = "@in-process"

// Suite is the step library for one run. It is safe for concurrent scenarios.
type Suite struct {
	cfg Config

	mu    sync.Mutex
	names map[string]int // sanitised scenario names used so far
}

// New checks cfg and returns a Suite.
func New(cfg Config) (*Suite, error) {
	if cfg.Target == nil {
		return nil, fmt.Errorf("new step suite: %w: no target", ErrUsage)
	}
	if cfg.Wait <= 0 {
		cfg.Wait = 10 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.New()
	}
	if cfg.Golden == nil {
		cfg.Golden = pcaps.Golden()
	}
	return &Suite{cfg: cfg, names: map[string]int{}}, nil
}

// InitializeScenario registers the hooks and every step; pass it (or a
// function calling it) as godog.TestSuite.ScenarioInitializer.
func (s *Suite) InitializeScenario(sc *godog.ScenarioContext) {
	sc.Before(s.before)
	sc.After(s.after)
	registerConfigSteps(sc)
	registerMediaSteps(sc)
	registerRegistrationSteps(sc)
	registerCallSteps(sc)
	registerOutcomeSteps(sc)
	registerRawSteps(sc)
	registerAudioSteps(sc)
	registerIVRSteps(sc)
	registerConferenceSteps(sc)
	registerRecordingSteps(sc)
	registerVoicemailSteps(sc)
	registerPromptSteps(sc)
	registerHoldSteps(sc)
	registerTransferSteps(sc)
	registerDivertSteps(sc)
	registerWireSteps(sc)
	registerNumberingSteps(sc)
	registerPrackSteps(sc)
	registerDNSSteps(sc)
	registerTimerSteps(sc)
	registerRouteSteps(sc)
	registerInterPBXSteps(sc)
	registerScheduleSteps(sc)
	registerAnalysisSteps(sc)
	registerTrunkSteps(sc)
	registerServiceSteps(sc)
	registerFlowSteps(sc)
	registerAdminSteps(sc)
	registerForwardSteps(sc)
	registerWaitingSteps(sc)
	registerHotlineSteps(sc)
	registerPresenceSteps(sc)
	registerCallerIDSteps(sc)
	registerThreewaySteps(sc)
	registerHoldServiceSteps(sc)
	registerInterventionSteps(sc)
	registerRingOutSteps(sc)
	registerTransferRingingSteps(sc)
	registerBadInputSteps(sc)
	registerParkSteps(sc)
	registerCallbackSteps(sc)
}

// Skipped reports whether the scenario of ctx was skipped because its
// target cannot run it (for an After hook registered after the Suite's).
func Skipped(ctx context.Context) bool {
	w := worldFrom(ctx)
	return w != nil && w.skip
}

// Artifacts returns the capture files of the scenario of ctx.
func Artifacts(ctx context.Context) []string {
	if w := worldFrom(ctx); w != nil {
		return w.artifacts()
	}
	return nil
}

func (s *Suite) before(ctx context.Context, sc *godog.Scenario) (context.Context, error) {
	w := &world{
		suite:   s,
		name:    s.uniqueName(sc),
		log:     s.cfg.Logger,
		subs:    map[string]Subscriber{},
		agents:  map[string]*phone.Agent{},
		quality: quality.NewRegistry(64),
		phones:  map[phoneKey]*simPhone{},
		raws:    map[string]*rawPhone{},
	}
	ctx = context.WithValue(ctx, worldKey{}, w)
	if hasTag(sc, TagInProcess) && !s.cfg.Target.Configurable() {
		w.skip = true
		return ctx, nil
	}
	c, err := openCapture(s.cfg.Output, w.name)
	if err != nil {
		return ctx, err
	}
	w.cap = c
	sess, err := s.cfg.Target.Open(ctx, ScenarioInfo{Name: w.name, Dir: s.cfg.Output})
	if err != nil {
		return ctx, err
	}
	w.sess = sess
	return ctx, nil
}

func (s *Suite) after(ctx context.Context, _ *godog.Scenario, err error) (context.Context, error) {
	w := worldFrom(ctx)
	if w == nil || w.skip {
		return ctx, nil
	}
	var errs []error
	if err == nil {
		errs = append(errs, w.uncheckedCalls())
	}
	errs = append(errs, w.cleanup())
	if failed := (err != nil && !errors.Is(err, godog.ErrSkip)) || errors.Join(errs...) != nil; failed {
		if paths := w.artifacts(); len(paths) > 0 {
			ctx = godog.Attach(ctx, godog.Attachment{
				FileName:  "captures",
				MediaType: "text/uri-list",
				Body:      []byte(strings.Join(paths, "\r\n")),
			})
			errs = append(errs, fmt.Errorf("captures: %s", strings.Join(paths, ", ")))
		}
		if ls, ok := w.sess.(LogSource); ok {
			if logs := ls.Logs(); len(logs) > 0 {
				ctx = godog.Attach(ctx, godog.Attachment{FileName: "pbx.log", MediaType: "text/plain", Body: logs})
			}
		}
	}
	return ctx, errors.Join(errs...)
}

// uncheckedCalls fails a scenario that placed a call but asserted nothing
// about how it ended.
func (w *world) uncheckedCalls() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	var bad []string
	for _, c := range w.calls {
		if !c.checked {
			bad = append(bad, c.String())
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s placed but no step asserted how it ended (add e.g. \"Then the call ends normally\" or \"Then the call fails with <code>\")",
		ErrUnchecked, strings.Join(bad, ", "))
}

func (w *world) artifacts() []string {
	var out []string
	if w.cap != nil && w.cap.path != "" {
		out = append(out, w.cap.path)
	}
	if w.sess != nil {
		out = append(out, w.sess.Artifacts()...)
	}
	return out
}

// uniqueName turns "<feature file> / <scenario>" into a file name that is
// unique within the run.
func (s *Suite) uniqueName(sc *godog.Scenario) string {
	base := strings.TrimSuffix(path.Base(sc.Uri), ".feature")
	name := sanitise(base + "--" + sc.Name)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.names[name]++
	if n := s.names[name]; n > 1 {
		name += "-" + strconv.Itoa(n)
	}
	return name
}

// sanitise keeps lower-case letters, digits and single dashes, at most 100
// characters.
func sanitise(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			dash = false
			continue
		}
		if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	out := strings.TrimRight(b.String(), "-")
	if len(out) > 100 {
		out = strings.TrimRight(out[:100], "-")
	}
	if out == "" {
		out = "scenario"
	}
	return out
}

func hasTag(sc *godog.Scenario, tag string) bool {
	for _, t := range sc.Tags {
		if t.Name == tag {
			return true
		}
	}
	return false
}
