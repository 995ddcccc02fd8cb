package pbx_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/leakcheck"
	"pbxlab/internal/testua"
	"pbxlab/pbx/config"
	"pbxlab/pbx/pbxtest"
	"pbxlab/sim/phone"
)

// The IVR seen from the wire: SIP INFO digits, voicemail without a
// voicemail service, prompts checked at start, the media server off. The
// menus with audio are the features' (features/media/ivr.feature).

const testIVR = `numbers:
  "500": main
menus:
  main:
    prompt: goodbye
    timeout: 30s
    options:
      "2": {call: "1003"}
      "8": {voicemail: "1003"}
`

// ivrConfig adds the IVR file body (in a fresh folder) to cfg.
func ivrConfig(t *testing.T, body string) func(*config.Config) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ivr.yaml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return func(c *config.Config) {
		c.IVRs = []config.IVR{{File: path}}
		c.TrustedPeers = []config.TrustedPeer{{Name: "test", Address: "127.0.0.1"}}
	}
}

// callIVR places a raw call from the trusted test UA to number and ACKs
// its 200.
func callIVR(ctx context.Context, t *testing.T, u *testua.UA, number string) *testua.Dialog {
	t.Helper()
	tx, err := u.Start(u.NewInvite(number, u.Offer()))
	if err != nil {
		t.Fatal(err)
	}
	res, err := tx.Final(ctx)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("INVITE %s: %v %v", number, res, err)
	}
	if _, err := tx.Ack(nil); err != nil {
		t.Fatal(err)
	}
	return tx.Dialog()
}

func info(ctx context.Context, t *testing.T, d *testua.Dialog, contentType, body string) int {
	t.Helper()
	req := d.NewRequest(sip.INFO)
	testua.SetBody(req, contentType, []byte(body))
	tx, err := d.Start(req)
	if err != nil {
		t.Fatal(err)
	}
	res, err := tx.Final(ctx)
	if err != nil {
		t.Fatalf("INFO %q: %v", body, err)
	}
	return res.StatusCode
}

// TestIVRSIPInfoDigit: a caller keying with SIP INFO (application/dtmf-relay)
// reaches the extension of the digit; an INFO that carries no DTMF is
// refused (415, 400) and chooses nothing: the other extension is never
// called.
func TestIVRSIPInfoDigit(t *testing.T) {
	leakcheck.Check(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	in := startPBX(t, ivrConfig(t, testIVR), pbxtest.Options{})
	ps := registered(ctx, t, in.Target(), phone.Config{}, "1002", "1003")
	u := newUA(t, in.UDP, "1001")
	d := callIVR(ctx, t, u, "500")

	if code := info(ctx, t, d, "text/plain", "2"); code != 415 {
		t.Errorf("INFO text/plain answered %d, want 415", code)
	}
	if code := info(ctx, t, d, "application/dtmf-relay", "Signal=x\r\n"); code != 400 {
		t.Errorf("INFO Signal=x answered %d, want 400", code)
	}
	select {
	case c := <-ps["1003"].in:
		t.Fatalf("a refused INFO reached 1003 (call %s)", c.CallID())
	case <-time.After(300 * time.Millisecond):
	}
	if code := info(ctx, t, d, "application/dtmf-relay", "Signal=2\r\nDuration=160\r\n"); code != 200 {
		t.Fatalf("INFO Signal=2 answered %d, want 200", code)
	}
	callee := ps["1003"].nextIncoming(ctx, t)
	if err := callee.WaitAnswer(ctx); err != nil {
		t.Fatalf("1003 did not answer the transfer: %v", err)
	}
	// the 200 is sent, not yet the PBX's: a BYE now would cross it (the
	// PBX CANCELs, the phone's 200 loses to the CANCEL's 487)
	for !callee.Acked() {
		select {
		case <-ctx.Done():
			t.Fatal("the PBX never ACKed 1003's 200")
		case <-time.After(5 * time.Millisecond):
		}
	}
	if res, err := d.Bye(ctx); err != nil || res.StatusCode != 200 {
		t.Fatalf("BYE: %v %v", res, err)
	}
	if end, err := callee.Wait(ctx); err != nil || end.By != phone.Remote {
		t.Fatalf("1003's leg: %+v %v, want ended by the PBX", end, err)
	}
	select {
	case c := <-ps["1002"].in:
		t.Fatalf("1002 was called (%s)", c.CallID())
	default:
	}
}

// TestIVRVoicemailNotAvailable: with no voicemail service the voicemail
// option says so and hangs up; the mailbox's phone is not called.
func TestIVRVoicemailNotAvailable(t *testing.T) {
	leakcheck.Check(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	in := startPBX(t, ivrConfig(t, testIVR), pbxtest.Options{})
	ps := registered(ctx, t, in.Target(), phone.Config{}, "1001", "1003")
	c, err := ps["1001"].Dial(ctx, "500")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.WaitAnswer(ctx); err != nil {
		t.Fatalf("the IVR did not answer: %v", err)
	}
	if err := c.SendDTMF(ctx, "8"); err != nil {
		t.Fatal(err)
	}
	end, err := c.Wait(ctx)
	if err != nil || end.By != phone.Remote || end.Reason != phone.ReasonBye {
		t.Fatalf("call ended %+v %v, want a BYE from the PBX", end, err)
	}
	select {
	case inc := <-ps["1003"].in:
		t.Fatalf("1003 was called (%s)", inc.CallID())
	default:
	}
}

// TestIVRPromptsCheckedAtStart: a prompt that is no media ID stops the
// PBX from starting, naming the IVR file and line; the same file with a
// known prompt starts.
func TestIVRPromptsCheckedAtStart(t *testing.T) {
	bad := strings.Replace(testIVR, "prompt: goodbye", "prompt: no-such-prompt", 1)
	cfg := config.Demo()
	ivrConfig(t, bad)(cfg)
	_, err := pbxtest.Start(cfg, pbxtest.Options{})
	if err == nil || !strings.Contains(err.Error(), "ivr.yaml:5:") || !strings.Contains(err.Error(), "no-such-prompt") {
		t.Fatalf("start with an unknown prompt: %v", err)
	}
	t.Log(err)
	cfg = config.Demo()
	ivrConfig(t, testIVR)(cfg)
	in, err := pbxtest.Start(cfg, pbxtest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := in.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestIVRMediaOff: with the media server off an IVR number answers 486,
// as every media service does.
func TestIVRMediaOff(t *testing.T) {
	leakcheck.Check(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	add := ivrConfig(t, testIVR)
	in := startPBX(t, func(c *config.Config) { add(c); c.Media.Enabled = false }, pbxtest.Options{})
	u := newUA(t, in.UDP, "1001")
	tx, err := u.Start(u.NewInvite("500", u.Offer()))
	if err != nil {
		t.Fatal(err)
	}
	res, err := tx.Final(ctx)
	if err != nil || res.StatusCode != 486 {
		t.Fatalf("INVITE to the IVR with media off: %v %v, want 486", res, err)
	}
}
