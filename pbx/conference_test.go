package pbx_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"pbxlab/internal/leakcheck"
	"pbxlab/internal/sdpneg"
	"pbxlab/internal/tone"
	"pbxlab/pbx"
	"pbxlab/pbx/config"
	"pbxlab/pbx/pbxtest"
	"pbxlab/sim/phone"
)

// joinRoom dials the room from p and waits for the PBX's answer.
func joinRoom(ctx context.Context, t *testing.T, p *testPhone, room string) *phone.Call {
	t.Helper()
	c, err := p.Dial(ctx, room)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.WaitAnswer(ctx); err != nil {
		t.Fatalf("%s joining %s: %v (code %d)", p.Number(), room, err, c.Code())
	}
	return c
}

// othersOf are the identities of numbers except own.
func othersOf(own string, numbers []string) []phone.Identity {
	var out []phone.Identity
	for _, n := range numbers {
		if n != own {
			out = append(out, phone.IdentityFor(n))
		}
	}
	return out
}

// TestConference: three phones (one of them A-law only) dial room 800 of
// three seats: the PBX answers each, and each hears the two others and
// not itself. A fourth caller gets 486. When one member hangs up, the two
// left still hear each other and no longer the one who left; the CDRs
// name the room as callee.
func TestConference(t *testing.T) {
	leakcheck.Check(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	in := startPBX(t, func(c *config.Config) {
		c.Conferences = []config.Conference{{Number: "800", MaxParties: 3}}
	}, pbxtest.Options{})
	numbers := []string{"1000", "1001", "1002"}
	ps := registered(ctx, t, in.Target(), phone.Config{}, append(numbers, "1003")...)
	ps["1001"].SetCodecs(sdpneg.PCMA())
	calls := map[string]*phone.Call{}
	for _, n := range numbers {
		calls[n] = joinRoom(ctx, t, ps[n], "800")
	}
	for _, n := range numbers {
		actx, acancel := context.WithTimeout(ctx, 10*time.Second)
		if _, err := calls[n].ListenAll(actx, othersOf(n, numbers)); err != nil {
			t.Errorf("%s does not hear the two others (and only them): %v", n, err)
		}
		acancel()
	}
	full, err := ps["1003"].Dial(ctx, "800")
	if err != nil {
		t.Fatal(err)
	}
	wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
	end, err := full.Wait(wctx)
	wcancel()
	if err != nil || end.Code != 486 {
		_ = full.Hangup(ctx)
		t.Fatalf("a fourth caller's call ended %+v, %v; want 486", end, err)
	}
	if err := calls["1002"].Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	left := []string{"1000", "1001"}
	for _, n := range left {
		actx, acancel := context.WithTimeout(ctx, 10*time.Second)
		if _, err := calls[n].ListenAll(actx, othersOf(n, left)); err != nil {
			t.Errorf("after 1002 left, %s does not hear the other: %v", n, err)
		}
		acancel()
		qctx, qcancel := context.WithTimeout(ctx, 2*time.Second)
		_, err := calls[n].ListenAll(qctx, othersOf(n, numbers))
		qcancel()
		if !errors.Is(err, phone.ErrNotHeard) {
			t.Errorf("after 1002 left, %s still hears it: %v", n, err)
		}
	}
	for _, n := range left {
		if err := calls[n].Hangup(ctx); err != nil {
			t.Fatal(err)
		}
	}
	recs := waitCDRs(ctx, t, in, func(r []pbx.CDR) bool { return len(r) == 4 && r[3].Disposition != pbx.InProgress })
	answered := 0
	for _, r := range recs {
		if r.Callee != "800" {
			t.Errorf("CDR %+v, want callee 800", r)
		}
		if r.Disposition == pbx.Answered {
			answered++
		}
	}
	if answered != 3 {
		t.Errorf("%d answered CDRs, want 3: %+v", answered, recs)
	}
}

// TestConferenceWithoutMediaServer: with media.enabled false, dialling a
// room is answered 486 (the manual: services of the media server fail
// with a busy tone).
func TestConferenceWithoutMediaServer(t *testing.T) {
	leakcheck.Check(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	in := startPBX(t, func(c *config.Config) {
		c.Media.Enabled = false
		c.Conferences = []config.Conference{{Number: "800", MaxParties: 3}}
	}, pbxtest.Options{})
	p := registered(ctx, t, in.Target(), phone.Config{}, "1000")["1000"]
	c, err := p.Dial(ctx, "800")
	if err != nil {
		t.Fatal(err)
	}
	if end, err := c.Wait(ctx); err != nil || end.Code != 486 {
		t.Fatalf("call ended %+v, %v; want 486", end, err)
	}
}

// TestRecording: 2000 records its calls. Its call with 1001 — anchored
// although media.anchor is direct — leaves a WAV
// in recording.dir that the strict reader decodes and that holds both
// parties' identities (all four tones at once), listed in the recordings
// table with the call's ID; a call between two phones that do not record
// leaves nothing.
func TestRecording(t *testing.T) {
	leakcheck.Check(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	dir := filepath.Join(t.TempDir(), "rec")
	in := startPBX(t, func(c *config.Config) {
		c.Media.Anchor = config.AnchorDirect // a recorded call is anchored all the same
		c.Recording.Dir = dir
		c.ExplicitSubscribers = append(c.ExplicitSubscribers, config.Subscriber{Number: "2000", Password: "rec2000", Record: true})
	}, pbxtest.Options{})
	ag, err := phone.NewAgent(phone.Config{Target: in.Target()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ag.Close() })
	rec := newTestPhone(t, ag, phone.PhoneConfig{Number: "2000", Password: "rec2000"})
	if _, err := rec.Register(ctx); err != nil {
		t.Fatal(err)
	}
	ps := registered(ctx, t, in.Target(), phone.Config{}, "1000", "1001")
	c, _ := talk(ctx, t, ps["1000"], ps["1001"]) // not recorded
	if legs := in.MediaLegs()[c.CallID()]; len(legs) != 0 {
		t.Errorf("an unrecorded call of direct phones is anchored: %+v", legs)
	}
	if err := c.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	c, callee := talk(ctx, t, rec, ps["1001"])
	time.Sleep(time.Second) // a second of conversation on record
	if err := c.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := callee.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	var rows []pbx.Recording
	wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
	defer wcancel()
	for len(rows) == 0 {
		if rows, err = in.Recordings(ctx); err != nil {
			t.Fatal(err)
		}
		select {
		case <-wctx.Done():
			t.Fatal("no recording listed")
		case <-time.After(20 * time.Millisecond):
		}
	}
	if len(rows) != 1 || rows[0].CallID != c.CallID() || rows[0].Caller != "2000" || rows[0].Callee != "1001" || filepath.Dir(rows[0].File) != dir {
		t.Fatalf("recordings %+v, want one of call %s (2000 -> 1001) in %s", rows, c.CallID(), dir)
	}
	samples, err := pbx.ReadRecording(rows[0].File)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(samples)) != rows[0].Samples || len(samples) < 8000 {
		t.Fatalf("the WAV holds %d samples, the table says %d; want at least a second", len(samples), rows[0].Samples)
	}
	a, b := phone.IdentityFor("2000"), phone.IdentityFor("1001")
	det := tone.NewDetector(tone.Config{Freqs: append(a.Freqs(), b.Freqs()...)})
	heard := false
	for k := 0; k+1600 <= len(samples) && !heard; k += 800 {
		heard = det.Analyse(samples[k : k+1600]).Present
	}
	if !heard {
		t.Errorf("no 200 ms of the recording holds both parties' tones (%s and %s)", a, b)
	}
	other := phone.IdentityFor("1000")
	if r := tone.NewDetector(tone.Config{Freqs: other.Freqs()}).Analyse(samples); r.Present {
		t.Errorf("the recording holds %s, a party of another call", other)
	}
	t.Logf("recording %s: %d samples", rows[0].File, len(samples))
}

// TestConferenceMediaTimeout: a member whose phone stops sending is let go
// by the PBX (BYE) after media.timeout, CDR reason "media timeout"; the
// member who keeps talking stays.
func TestConferenceMediaTimeout(t *testing.T) {
	leakcheck.Check(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	in := startPBX(t, func(c *config.Config) {
		c.Media.Timeout = time.Second
		c.Conferences = []config.Conference{{Number: "800", MaxParties: 3}}
	}, pbxtest.Options{})
	ps := registered(ctx, t, in.Target(), phone.Config{}, "1000", "1001")
	a, b := joinRoom(ctx, t, ps["1000"], "800"), joinRoom(ctx, t, ps["1001"], "800")
	b.StopSending()
	if end, err := b.Wait(ctx); err != nil || end.Reason != phone.ReasonBye || end.By != phone.Remote {
		t.Fatalf("the silent member's call ended %+v, %v; want a BYE from the PBX", end, err)
	}
	recs := waitCDRs(ctx, t, in, func(r []pbx.CDR) bool { return len(r) == 2 && r[1].Reason != "" })
	if recs[1].Reason != "media timeout" {
		t.Errorf("CDR %+v, want reason media timeout", recs[1])
	}
	if a.State() != phone.Answered {
		t.Errorf("the talking member's call is %s, want still answered", a.State())
	}
	if err := a.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
}
