package steps

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/cucumber/godog"

	"pbxlab/internal/flow"
)

// registerFlowSteps: the scenario's call flow (internal/flow) compared
// with a golden flow under pcaps/golden/, or written there with -update.
func registerFlowSteps(sc *godog.ScenarioContext) {
	sc.Then("^the call flow matches `pcaps/golden/([a-z0-9][a-z0-9-]*\\.flow)`$", step1(callFlowMatches))
}

// flowSettle is how long the wire must stay quiet before a scenario's
// flow counts as complete: the last transactions (the ACK of a 487, the
// 200 of a BYE) finish after the step that saw the call end.
const flowSettle = time.Second

// wireNow is the scenario's SIP so far: the PBX's own view of the wire
// when the session has one (it holds the TCP connections the simulator
// dials, which the phones' capture does not), else the phones' capture.
func (w *world) wireNow() ([]wireMessage, error) {
	if ws, ok := w.sess.(wireSource); ok {
		return ws.wire()
	}
	return w.cap.messages()
}

// settledFlow waits (bounded by the suite's wait) until no SIP message
// has come for flowSettle, then returns the scenario's call flow.
func (w *world) settledFlow(ctx context.Context) (flow.Flow, error) {
	ctx, cancel := context.WithTimeout(ctx, w.suite.cfg.Wait)
	defer cancel()
	last, since := -1, time.Now()
	for {
		msgs, err := w.wireNow()
		if err != nil {
			return flow.Flow{}, err
		}
		if len(msgs) != last {
			last, since = len(msgs), time.Now()
		}
		if time.Since(since) >= flowSettle || ctx.Err() != nil {
			if len(msgs) == 0 {
				return flow.Flow{}, fmt.Errorf("%w: the scenario's capture holds no SIP message", ErrExpectation)
			}
			return flow.New(msgs), nil
		}
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// callFlowMatches compares the scenario's call flow with the golden one
// (dialog by dialog, OPTIONS left out), or writes it, the PBX's capture
// and the capture's sidecar with -update (updateGolden).
func callFlowMatches(ctx context.Context, w *world, name string) error {
	if dir := w.suite.cfg.UpdateGolden; dir != "" {
		return w.updateGolden(ctx, dir, name)
	}
	got, err := w.settledFlow(ctx)
	if err != nil {
		return err
	}
	got = got.MapUsers(w.nameOf) // a live target's real numbers as the scenario's
	f, err := w.suite.cfg.Golden.Open(name)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: no golden flow %s (write it with go test ./features/ -update)", ErrUsage, name)
	}
	if err != nil {
		return fmt.Errorf("read golden flow %s: %w", name, err)
	}
	defer f.Close()
	want, err := flow.ParseText(f)
	if err != nil {
		return fmt.Errorf("read golden flow %s: %w", name, err)
	}
	if r := flow.Compare(want, got); !r.Equal() {
		return fmt.Errorf("%w: the call flow differs from pcaps/golden/%s (- golden, + this run):\n%s", ErrExpectation, name, r)
	}
	return nil
}
