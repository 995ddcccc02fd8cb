package steps

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/cucumber/godog"

	"pbxlab/internal/tone"
	"pbxlab/pbx"
	"pbxlab/pbx/config"
)

// registerRecordingSteps: call recording, checked on the in-process PBX:
// its recordings table and the WAV file, decoded by the PBX's strict
// reader and searched for both parties' identities by tone detection.
func registerRecordingSteps(sc *godog.ScenarioContext) {
	sc.Given(`^calls of (\d+) are recorded$`, recordCallsOf)
	sc.Then(`^the call between (\d+) and (\d+) was recorded to a WAV holding both their audio$`, step2(recordedWithBoth))
	sc.Then(`^the call between (\d+) and (\d+) was not recorded$`, step2(notRecorded))
	sc.After(func(ctx context.Context, _ *godog.Scenario, err error) (context.Context, error) {
		if st, ok := ctx.Value(recordingKey{}).(*recordingState); ok && st.remove {
			_ = os.RemoveAll(st.dir)
		}
		return ctx, err
	})
}

// recordingKey is the context key of the scenario's recording state.
type recordingKey struct{}

type recordingState struct {
	dir    string
	remove bool // a temporary folder, removed after the scenario
}

// recordCallsOf sets record: true on name's subscriber and recording.dir
// to a folder of the scenario (under the suite's output when it has one,
// kept there; else a temporary folder).
func recordCallsOf(ctx context.Context, name string) (context.Context, error) {
	w, err := stepWorld(ctx)
	if err != nil {
		return ctx, err
	}
	if _, ok := w.sess.(*inProcessSession); !ok {
		// the recording is on the PBX's own disk (@pbx-files): only the
		// in-process PBX's can be read
		return ctx, godog.ErrSkip
	}
	st, _ := ctx.Value(recordingKey{}).(*recordingState)
	if st == nil {
		st = &recordingState{}
		if out := w.suite.cfg.Output; out != "" {
			st.dir = filepath.Join(out, w.name+".recordings")
		} else if st.dir, err = os.MkdirTemp("", "pbxlab-recordings-"); err != nil {
			return ctx, err
		} else {
			st.remove = true
		}
		ctx = context.WithValue(ctx, recordingKey{}, st)
	}
	sub, err := w.subscriber(name)
	if err != nil {
		return ctx, err
	}
	return ctx, w.configure(func(c *config.Config) error {
		c.Recording.Dir = st.dir
		return editSubscriber(c, sub.Number, func(s *config.Subscriber) { s.Record = true })
	})
}

// pbxServer is the in-process PBX of the scenario.
func (w *world) pbxServer() (*pbx.Server, error) {
	s, ok := w.sess.(*inProcessSession)
	if !ok {
		return nil, fmt.Errorf("%w: recordings are read from an in-process PBX", ErrUsage)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inst == nil {
		return nil, fmt.Errorf("%w: the PBX has not started", ErrUsage)
	}
	return s.inst.Server, nil
}

// recordingOf waits (bounded) for the recordings table to list the call
// between a and b; with want false it wants none for the quiet window.
func recordingOf(ctx context.Context, w *world, a, b string, want bool) (*pbx.Recording, error) {
	rec, err := w.callBetween(a, b)
	if err != nil {
		return nil, err
	}
	srv, err := w.pbxServer()
	if err != nil {
		return nil, err
	}
	callID := rec.out.CallID()
	d := w.suite.cfg.Wait
	if !want {
		d = quietWindow
	}
	wctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	for {
		rows, err := srv.Recordings(wctx)
		if err != nil {
			if wctx.Err() != nil && ctx.Err() == nil {
				// the window closed during the query: nothing listed in it
				return nil, nil
			}
			return nil, err
		}
		for _, r := range rows {
			if r.CallID == callID {
				return &r, nil
			}
		}
		select {
		case <-wctx.Done():
			return nil, nil
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// recordedWithBoth: the recordings table lists the call, its file is a
// WAV the strict reader decodes to as many samples as the table says, and
// some 200 ms of it hold both parties' identities at once (all four tones).
func recordedWithBoth(ctx context.Context, w *world, a, b string) error {
	r, err := recordingOf(ctx, w, a, b, true)
	if err != nil {
		return err
	}
	if r == nil {
		return fmt.Errorf("%w: no recording of the call between %s and %s is listed", ErrExpectation, a, b)
	}
	samples, err := pbx.ReadRecording(r.File)
	if err != nil {
		return fmt.Errorf("%w: the recording %s is not a readable WAV: %w", ErrExpectation, r.File, err)
	}
	if int64(len(samples)) != r.Samples {
		return fmt.Errorf("%w: %s holds %d samples, the recordings table says %d", ErrExpectation, r.File, len(samples), r.Samples)
	}
	ida, err := w.identityOf(a)
	if err != nil {
		return err
	}
	idb, err := w.identityOf(b)
	if err != nil {
		return err
	}
	det := tone.NewDetector(tone.Config{Freqs: append(ida.Freqs(), idb.Freqs()...)})
	const block, step = 1600, 800 // 200 ms blocks, 100 ms apart
	last := tone.Result{Reason: "shorter than 200 ms"}
	for k := 0; k+block <= len(samples); k += step {
		if last = det.Analyse(samples[k : k+block]); last.Present {
			return nil
		}
	}
	return fmt.Errorf("%w: no 200 ms of %s (%d samples) hold both %s (%s) and %s (%s): %s",
		ErrExpectation, r.File, len(samples), a, ida, b, idb, last.Reason)
}

// notRecorded: the recordings table lists nothing for the call during the
// quiet window.
func notRecorded(ctx context.Context, w *world, a, b string) error {
	r, err := recordingOf(ctx, w, a, b, false)
	if err != nil {
		return err
	}
	if r != nil {
		return fmt.Errorf("%w: the call between %s and %s was recorded to %s", ErrExpectation, a, b, r.File)
	}
	return nil
}
