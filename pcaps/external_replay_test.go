package pcaps

import (
	"context"
	"fmt"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"pbxlab/internal/flow"
	"pbxlab/internal/replay"
	"pbxlab/pbx/config"
	"pbxlab/pbx/pbxtest"
)

// externalPBXConfig is a pbxlab configuration with the sidecar's realm
// and subscribers: what a replay of a third-party capture needs to reach
// the same calls.
func externalPBXConfig(t *testing.T, sc sidecar) *config.Config {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "auth:\n  realms:\n    - name: %q\n      algorithms: [MD5]\nsubscribers:\n", sc.Realm)
	for _, s := range sc.Subscribers {
		fmt.Fprintf(&b, "  - {number: %q, password: %q}\n", s.User, s.Password)
	}
	cfg, err := config.Parse("external-"+sc.Realm+".yaml", []byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestExternalReplayAgainstPbxlab replays every third-party capture against
// pbxlab, configured with the sidecar's realm and subscribers, and checks the
// verdicts against NAME.replay (go test ./pcaps/ -update rewrites it). The
// captures' SUT is Kamailio, a proxy, so the verdicts are mostly divergent:
// each NAME.replay starts with comment lines saying why (pcaps/external/
// README.md explains them); what this test proves is that the replay of a
// capture nobody here made runs to a verdict per dialog, and that the
// verdict does not drift.
func TestExternalReplayAgainstPbxlab(t *testing.T) {
	for _, name := range externalCaptures(t) {
		t.Run(captureBase(name), func(t *testing.T) {
			base := filepath.Join(externalDir, captureBase(name))
			sc, err := readSidecar(base + ".yaml")
			if err != nil {
				t.Fatal(err)
			}
			in, err := pbxtest.Start(externalPBXConfig(t, sc), pbxtest.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = in.Close() })
			target := in.UDP
			if sc.Transport == "tcp" {
				target = in.TCP
			}
			creds := replay.Credentials{}
			for _, s := range sc.Subscribers {
				creds[s.User] = s.Password
			}
			r, err := replay.New(replay.Config{
				Capture:     filepath.Join(externalDir, name),
				Target:      target.String(),
				SUT:         netip.MustParseAddrPort(sc.SUT),
				Credentials: creds,
				Pace:        replay.Pace{Scale: 1},
				Timeout:     3 * time.Second,
			})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			rep, err := r.Run(ctx)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s against pbxlab:\n%s", name, rep)
			checkExternalVerdicts(t, rep)
		})
	}
}

// checkExternalVerdicts checks what a replay of a capture of Kamailio (a
// record-routing proxy) against pbxlab (a B2BUA) must show, and only that:
//   - a dialog of registrations only is equivalent: pbxlab's registrar
//     challenges and accepts as Kamailio's did;
//   - a call the proxy forwarded within its Call-ID (the caller's INVITE in,
//     the same INVITE out to the callee) reaches the callee from pbxlab as a
//     dialog of its own, with the same Request-URI and caller: the capture's
//     dialog diverges where the proxy's forwarded INVITE was, and the live
//     run has the B2BUA's new leg, which the capture lacks. That is the
//     verdict pcaps/external/README.md explains.
func checkExternalVerdicts(t *testing.T, rep *replay.Report) {
	t.Helper()
	byCall := map[string][]flow.Step{}
	for _, s := range rep.Reference.Steps {
		byCall[s.Call] = append(byCall[s.Call], s)
	}
	liveFirst := map[string]flow.Step{} // the first step of each live dialog
	for _, s := range rep.Live.Steps {
		if _, ok := liveFirst[s.Call]; !ok {
			liveFirst[s.Call] = s
		}
	}
	verdicts := map[string]replay.Verdict{}
	for _, v := range rep.Verdicts {
		verdicts[v.Call] = v
	}
	if len(byCall) == 0 {
		t.Fatal("no dialog in the capture")
	}
	for call, steps := range byCall {
		v, ok := verdicts[call]
		if !ok {
			t.Errorf("%s: no verdict", call)
			continue
		}
		if steps[0].Method == "REGISTER" {
			if !v.Equivalent {
				t.Errorf("%s: a registration, replayed against pbxlab's registrar, is not equivalent: %+v", call, v)
			}
			continue
		}
		var in, out *flow.Step
		for i := range steps {
			s := &steps[i]
			if s.Method != "INVITE" || s.Status != 0 {
				continue
			}
			if s.To == flow.SUT && in == nil {
				in = s
			}
			if s.From == flow.SUT && out == nil {
				out = s
			}
		}
		if in == nil || out == nil {
			continue // not a call the proxy forwarded
		}
		if v.Equivalent || !strings.Contains(v.Expected, "PBX -> "+out.To+" INVITE") {
			t.Errorf("%s: want the proxy's forwarded INVITE to %s missing from the live dialog, got %+v", call, out.To, v)
		}
		found := false
		for c, f := range liveFirst {
			if c != call && f.From == flow.SUT && f.To == out.To && f.Method == "INVITE" && f.Status == 0 &&
				hasAttr(f, ruriOf(*out)) && hasAttr(f, fromOf(*out)) {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: no live dialog in which pbxlab calls %s (%s, %s) as a leg of its own", call, out.To, ruriOf(*out), fromOf(*out))
		}
	}
}

func attrWith(s flow.Step, prefix string) string {
	for _, a := range s.Attrs {
		if strings.HasPrefix(a, prefix) {
			return a
		}
	}
	return ""
}

func ruriOf(s flow.Step) string { return attrWith(s, "ruri=") }
func fromOf(s flow.Step) string { return attrWith(s, "from=") }

func hasAttr(s flow.Step, a string) bool {
	return a == "" || slices.Contains(s.Attrs, a)
}
