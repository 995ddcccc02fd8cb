package interop

import (
	"context"
	"errors"
	"fmt"
	"pbxlab/internal/leakcheck"
	"sync"
	"testing"
	"time"

	"pbxlab/pbx/config"
	"pbxlab/pbx/pbxtest"
	"pbxlab/sim/phone"
)

// Hold and transfer with a softphone nobody here wrote: Debian 12's
// baresip (1.0.0) on one side of the call, the simulated phones on the
// other, pbxlab in between. baresip holds (/hold, /resume: a re-INVITE
// a=sendonly, then a=sendrecv), transfers blind (/transfer: REFER), and is
// the transferee of blind and attended transfers a simulated phone makes.
// baresip 1.0.0 cannot be the transferor of an attended transfer (no
// command, no Replaces): linphonec does that (linphone_transfer_test.go).

// mohFreqs are the notes of the PBX's built-in music on hold
// (pbx/internal/media.MusicOnHoldFreqs).
var mohFreqs = []float64{196.00, 220.00, 246.94, 261.63, 293.66}

// startHoldPBX starts a PBX for the softphone tests: subscribers 1050-1059
// (password pw<n>), MD5 digest (Debian 12's baresip gives up on SHA-256),
// and the given hold mode for number.
func startHoldPBX(t *testing.T, number, holdMode string) *pbxtest.Instance {
	t.Helper()
	cfg, err := config.Parse("interop-hold.yaml", []byte(fmt.Sprintf(`
auth: {realms: [{name: pbxlab, algorithms: [MD5]}]}
subscriber_ranges: [{from: "1050", to: "1059", password: "pw{n}"}]
services: {hold: {subscribers: {"%s": %s}}}
`, number, holdMode)))
	if err != nil {
		t.Fatal(err)
	}
	in, err := pbxtest.Start(cfg, pbxtest.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = in.Close() })
	return in
}

// simPhones registers simulated phones with the given numbers.
func simPhones(ctx context.Context, t *testing.T, in *pbxtest.Instance, numbers ...string) []*phone.Phone {
	t.Helper()
	ag, err := phone.NewAgent(phone.Config{Target: in.Target()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ag.Close() })
	var out []*phone.Phone
	for _, n := range numbers {
		p, err := ag.NewPhone(phone.PhoneConfig{Number: n, Password: "pw" + n})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.Register(ctx); err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

// hearsMOH waits (up to d) for any note of the music on hold on c.
func hearsMOH(ctx context.Context, c *phone.Call, d time.Duration) error {
	lctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var (
		mu    sync.Mutex
		heard bool
		errs  []error
		wg    sync.WaitGroup
	)
	for _, f := range mohFreqs {
		wg.Go(func() {
			_, err := c.Listen(lctx, phone.SingleTone(f))
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				heard = true
				cancel()
				return
			}
			errs = append(errs, err)
		})
	}
	wg.Wait()
	if !heard {
		return fmt.Errorf("no music on hold: %w", errors.Join(errs...))
	}
	return nil
}

// hearsTone reports whether c hears freq within d (false: not heard).
func hearsTone(ctx context.Context, t *testing.T, c *phone.Call, freq float64, d time.Duration) bool {
	t.Helper()
	lctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	_, err := c.Listen(lctx, phone.SingleTone(freq))
	switch {
	case err == nil:
		return true
	case errors.Is(err, phone.ErrNotHeard):
		return false
	}
	t.Fatalf("listen for %g Hz: %v", freq, err)
	return false
}

// waitIncoming waits for p's first answered incoming call.
func waitIncoming(ctx context.Context, p *phone.Phone) (*phone.Call, error) {
	for {
		for _, c := range p.Calls() {
			if c.Direction() == phone.Incoming && c.State() == phone.Answered {
				return c, nil
			}
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("%s answered no call: %w", p.Number(), ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// TestBaresipHold: baresip (1050) holds a simulated phone (1051) and
// resumes, once with its holds relayed (the simulated phone is re-INVITEd
// and hears the PBX's music on hold) and once with its holds taken by the
// PBX (the simulated phone is never re-INVITEd and hears the music all the
// same); after the resume the simulated phone hears baresip's sine again.
func TestBaresipHold(t *testing.T) {
	for _, mode := range []string{"relay", "pbx"} {
		t.Run(mode, func(t *testing.T) {
			leakcheck.Check(t)
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			in := startHoldPBX(t, "1050", mode)
			b := startBaresipUA(ctx, t, in, "1050")
			sim := simPhones(ctx, t, in, "1051")[0]
			c, err := sim.Dial(ctx, "1050")
			if err != nil {
				t.Fatal(err)
			}
			if err := c.WaitAnswer(ctx); err != nil {
				t.Fatalf("baresip did not answer: %v\n%s", err, b.Log())
			}
			if !hearsTone(ctx, t, c, baresipTone, 10*time.Second) {
				t.Fatalf("before the hold the simulated phone does not hear baresip's %g Hz\n%s", baresipTone, b.Log())
			}
			if _, err := b.Command(ctx, "hold", ""); err != nil {
				t.Fatalf("%v\n%s", err, b.Log())
			}
			if err := hearsMOH(ctx, c, 10*time.Second); err != nil {
				t.Fatalf("held by baresip, the simulated phone: %v\n%s", err, b.Log())
			}
			if hearsTone(ctx, t, c, baresipTone, 1500*time.Millisecond) {
				t.Errorf("held by baresip, the simulated phone still hears baresip")
			}
			switch n := c.ReinvitesReceived(); {
			case mode == "pbx" && n != 0:
				t.Errorf("hold taken by the PBX: the held phone was re-INVITEd %d times", n)
			case mode == "relay" && n == 0:
				t.Errorf("relayed hold: the held phone was not re-INVITEd")
			}
			before := c.ReinvitesReceived()
			if _, err := b.Command(ctx, "resume", ""); err != nil {
				t.Fatalf("%v\n%s", err, b.Log())
			}
			if !hearsTone(ctx, t, c, baresipTone, 10*time.Second) {
				t.Fatalf("after the resume the simulated phone does not hear baresip\n%s", b.Log())
			}
			if n := c.ReinvitesReceived(); mode == "pbx" && n != before {
				t.Errorf("resume taken by the PBX: the held phone was re-INVITEd (%d, was %d)", n, before)
			}
			if err := c.Hangup(ctx); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestBaresipHeld: a simulated phone (1051) holds baresip (1050) and
// resumes. With 1051's holds relayed baresip gets the re-INVITEs (its
// CALL_REMOTE_SDP events); with them taken by the PBX it gets none: the
// PBX answers the simulated phone itself. After the resume the simulated
// phone hears baresip again.
func TestBaresipHeld(t *testing.T) {
	for _, mode := range []string{"relay", "pbx"} {
		t.Run(mode, func(t *testing.T) {
			leakcheck.Check(t)
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			in, err := pbxtest.StartYAML(fmt.Sprintf(`
auth: {realms: [{name: pbxlab, algorithms: [MD5]}]}
subscriber_ranges: [{from: "1050", to: "1059", password: "pw{n}"}]
services: {hold: {subscribers: {"1051": %s}}}
`, mode), pbxtest.Options{Dir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			defer in.Close()
			b := startBaresipUA(ctx, t, in, "1050")
			sim := simPhones(ctx, t, in, "1051")[0]
			c, err := sim.Dial(ctx, "1050")
			if err != nil {
				t.Fatal(err)
			}
			if err := c.WaitAnswer(ctx); err != nil {
				t.Fatalf("baresip did not answer: %v\n%s", err, b.Log())
			}
			established, err := b.WaitEvent(ctx, 0, "CALL_ESTABLISHED")
			if err != nil {
				t.Fatalf("%v\n%s", err, b.Log())
			}
			if !hearsTone(ctx, t, c, baresipTone, 10*time.Second) {
				t.Fatalf("before the hold the simulated phone does not hear baresip\n%s", b.Log())
			}
			if err := c.Hold(ctx); err != nil {
				t.Fatalf("hold: %v", err)
			}
			if n := packetsIn(c, 1500*time.Millisecond); n > 0 {
				t.Errorf("the holder got %d RTP packets in 1.5 s while it holds (the PBX answered it not to send)", n)
			}
			if err := c.Resume(ctx); err != nil {
				t.Fatalf("resume: %v", err)
			}
			if !hearsTone(ctx, t, c, baresipTone, 10*time.Second) {
				t.Fatalf("after the resume the simulated phone does not hear baresip\n%s", b.Log())
			}
			if mode == "relay" {
				if _, err := b.WaitEvent(ctx, established, "CALL_REMOTE_SDP"); err != nil {
					t.Fatalf("relayed hold: baresip got no re-offer: %v\n%s", err, b.Log())
				}
			} else if n := b.Count(established, "CALL_REMOTE_SDP"); n != 0 {
				t.Errorf("hold taken by the PBX: baresip got %d re-offers\n%s", n, b.Log())
			}
			if err := c.Hangup(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := b.WaitEvent(ctx, established, "CALL_CLOSED"); err != nil {
				t.Fatalf("%v\n%s", err, b.Log())
			}
		})
	}
}

// packetsIn is how many RTP packets c received during a quiet window of d
// (a leg that holds, or is held, receives none: its last audio window
// would still hold what came before, so the packets are counted).
func packetsIn(c *phone.Call, d time.Duration) uint64 {
	before := c.MediaStats().PacketsIn
	time.Sleep(d)
	return c.MediaStats().PacketsIn - before
}
