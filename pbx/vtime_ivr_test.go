package pbx_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/testua"
	"pbxlab/pbx/config"
	"pbxlab/pbx/internal/media"
	"pbxlab/pbx/pbxtest/vnet"
)

// TestVirtualIVRTimeouts: in virtual time, a caller who presses nothing
// hears the menu prompt, waits the menu's timeout, hears it again (one
// retry) and waits again; then the IVR hangs up, not before: the BYE comes
// after two prompts and two timeouts, and within one more second. A wrong
// digit (SIP INFO) during the first prompt cuts it and counts as a try
// like a timeout does: one prompt and one timeout are left.
func TestVirtualIVRTimeouts(t *testing.T) {
	lib, err := media.NewLibrary(media.LibraryConfig{})
	if err != nil {
		t.Fatal(err)
	}
	clip, err := lib.Clip(media.PromptGoodbye)
	if err != nil {
		t.Fatal(err)
	}
	const timeout = 5 * time.Second
	path := filepath.Join(t.TempDir(), "ivr.yaml")
	if err := os.WriteFile(path, []byte(`numbers: {"500": main}
menus:
  main:
    prompt: goodbye
    timeout: 5s
    retries: 1
    options:
      "1": {call: "1001"}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		wrong   bool          // press a wrong digit as soon as the call is answered
		atLeast time.Duration // the IVR hangs up no sooner
	}{
		// a prompt's end is seen when its last (partial) frame goes out
		{"no digit", false, 2*(clip.Duration()-media.FrameDuration) + 2*timeout},
		// the digit cuts the first prompt short (barge-in) and uses the
		// first try: the second prompt and timeout are the last
		{"a wrong digit first", true, clip.Duration() - media.FrameDuration + timeout},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx, cancel := context.WithTimeout(t.Context(), time.Hour)
				defer cancel()
				cfg := trustingPhones()
				cfg.IVRs = []config.IVR{{File: path}}
				h := vnet.Start(t, cfg, vnet.WithSettle(synctest.Wait), vnet.WithMedia())
				u := virtualUA(t, h, "1000")
				start := time.Now()
				tx, err := u.Start(u.NewInvite("500", u.Offer()))
				if err != nil {
					t.Fatal(err)
				}
				if res, err := tx.Final(ctx); err != nil || res.StatusCode != 200 {
					t.Fatalf("INVITE to the IVR answered %v, %v", res, err)
				}
				if _, err := tx.Ack(nil); err != nil {
					t.Fatal(err)
				}
				if tc.wrong {
					d := tx.Dialog()
					req := d.NewRequest(sip.INFO)
					testua.SetBody(req, "application/dtmf", []byte("7"))
					itx, err := d.Start(req)
					if err != nil {
						t.Fatal(err)
					}
					if res, err := itx.Final(ctx); err != nil || res.StatusCode != 200 {
						t.Fatalf("INFO 7 answered %v, %v", res, err)
					}
				}
				_, err = u.AwaitIncoming(ctx, testua.Method(sip.BYE)) // answered 200 by the UA
				if err != nil {
					t.Fatalf("the IVR never hung up: %v", err)
				}
				took := time.Since(start)
				if took < tc.atLeast || took > tc.atLeast+time.Second {
					t.Fatalf("the IVR hung up after %v, want %v to %v", took, tc.atLeast, tc.atLeast+time.Second)
				}
				recs := cdrsOf(t, h)
				if len(recs) != 1 || recs[0].Callee != "500" || recs[0].Answer.IsZero() {
					t.Fatalf("CDRs %+v, want one answered call to 500", recs)
				}
			})
		})
	}
}
