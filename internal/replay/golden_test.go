package replay_test

import (
	"errors"
	"net/netip"
	"testing"
	"time"

	"pbxlab/internal/capmut"
	"pbxlab/internal/flow"
	"pbxlab/internal/replay"
	"pbxlab/internal/sipwire"
	"pbxlab/pbx/pbxtest"
	"pbxlab/pcaps"
)

// The acceptance of issue 12 that cannot be gamed: the golden captures
// (pcaps/golden: the in-process PBX's own capture of each golden flow's
// scenario, with the sidecar that says what produced it) replayed against a
// PBX started with the same configuration are equivalent, dialog for dialog;
// and each seeded mutation of them (internal/capmut) is flagged at the
// dialog and step the mutation names.

// replayGolden replays msgs, the golden capture name or a mutation of it,
// against a fresh PBX started with the configuration that produced it, at
// the capture's own pace (the goldens last a second or two).
func replayGolden(t *testing.T, name string, msgs []sipwire.Message, tol ...flow.CompareOption) *replay.Report {
	t.Helper()
	setup, err := pcaps.GoldenSetup(name)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := setup.PBXConfig()
	if err != nil {
		t.Fatal(err)
	}
	in, err := pbxtest.Start(cfg, pbxtest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = in.Close() })
	sut, err := netip.ParseAddrPort(setup.SUT)
	if err != nil {
		t.Fatalf("%s: sidecar sut: %v", name, err)
	}
	return run(t, replay.Config{
		Messages:    msgs,
		Target:      in.Target(),
		SUT:         sut,
		Credentials: replay.Credentials(setup.Credentials()),
		Pace:        replay.Pace{Scale: 1},
		Timeout:     10 * time.Second,
		Tolerances:  tol,
	})
}

// TestSelfReplayGoldenCaptures: every golden capture replayed against the
// PBX that produced it (its configuration, a fresh store) is 100 %
// equivalent.
func TestSelfReplayGoldenCaptures(t *testing.T) {
	names := pcaps.GoldenNames()
	if len(names) == 0 {
		t.Fatal("no golden captures")
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			msgs, err := pcaps.GoldenMessages(name)
			if err != nil {
				t.Fatal(err)
			}
			rep := replayGolden(t, name, msgs)
			if rep.Dialogs() == 0 {
				t.Fatalf("%s: no dialog replayed", name)
			}
			if !rep.Equivalent() {
				t.Errorf("%s: self-replay is not equivalent:\n%s", name, rep)
			}
		})
	}
}

// TestReplayFlagsSeededMutations: each seeded mutation of a golden capture
// (a 486 where a 200 was, a missing ACK, a dropped BYE, a changed codec)
// replayed against the PBX that produced the original is divergent, and
// first at the dialog and step the mutation names (the capture's message
// the PBX does not send).
func TestReplayFlagsSeededMutations(t *testing.T) {
	const seed = 7
	for _, name := range pcaps.GoldenNames() {
		msgs, err := pcaps.GoldenMessages(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, kind := range capmut.Kinds() {
			m, err := capmut.Mutate(msgs, kind, seed)
			if errors.Is(err, capmut.ErrNotApplicable) {
				continue // e.g. no BYE in the busy call
			}
			if err != nil {
				t.Fatalf("%s %s: %v", name, kind, err)
			}
			t.Run(name+"/"+string(kind), func(t *testing.T) {
				t.Parallel()
				rep := replayGolden(t, name, m.Messages)
				if rep.Equivalent() {
					t.Fatalf("%s (%s) not flagged:\n%s", m.Description, m.Expect.Label, rep)
				}
				var first *replay.Verdict
				for i := range rep.Verdicts {
					if v := &rep.Verdicts[i]; !v.Equivalent {
						first = v
						break
					}
				}
				// Verdict.Step is 1-based, Expect.Step 0-based
				if first.Call != m.Expect.Dialog || first.Step != m.Expect.Step+1 {
					t.Errorf("%s: flagged at %s step %d (expected %q, got %q), want %s step %d (%s)\n%s",
						m.Description, first.Call, first.Step, first.Expected, first.Got,
						m.Expect.Dialog, m.Expect.Step+1, m.Expect.Label, rep)
				}
			})
		}
	}
}

// TestReplayTolerances: a tolerance hides exactly what it names. The
// changed codec of a golden call is divergent, but equivalent once the SDP
// is left out of the comparison; a 486 for a 200 stays divergent when only
// the status class is compared (4xx is not 2xx).
func TestReplayTolerances(t *testing.T) {
	msgs, err := pcaps.GoldenMessages("basic-call")
	if err != nil {
		t.Fatal(err)
	}
	codec, err := capmut.Mutate(msgs, capmut.Codec, 7)
	if err != nil {
		t.Fatal(err)
	}
	if rep := replayGolden(t, "basic-call", codec.Messages, flow.IgnoreAttrs("sdp")); !rep.Equivalent() {
		t.Errorf("%s with the SDP left out: not equivalent:\n%s", codec.Description, rep)
	}
	busy, err := capmut.Mutate(msgs, capmut.Status486, 7)
	if err != nil {
		t.Fatal(err)
	}
	if rep := replayGolden(t, "basic-call", busy.Messages, flow.StatusClassOnly()); rep.Equivalent() {
		t.Errorf("%s compared by status class: equivalent:\n%s", busy.Description, rep)
	}
}
