package pbx_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"pbxlab/internal/mwi"
	"pbxlab/internal/tone"
	"pbxlab/pbx"
	"pbxlab/pbx/config"
	"pbxlab/pbx/internal/voicemail"
	"pbxlab/pbx/pbxtest"
	"pbxlab/sim/phone"
)

// Voicemail end to end, in real time (the phones' audio is): 2001 has a
// mailbox taking calls on busy and on no answer, 600 is the voicemail
// number; 2000 and 2002 have none.

func withVoicemail(c *config.Config) {
	c.Call.NoAnswerTimeout = 2 * time.Second
	c.Voicemail.Number = "600"
	for _, n := range []string{"2000", "2001", "2002"} {
		s := config.Subscriber{Number: n, Password: "demo" + n}
		if n == "2001" {
			s.Voicemail = config.SubscriberVoicemail{Enabled: true, OnBusy: true, OnNoAnswer: true}
		}
		c.ExplicitSubscribers = append(c.ExplicitSubscribers, s)
	}
}

// heard reports whether some 200 ms block of samples carries id (both its
// tones, clearly above the rest).
func heard(samples []int16, id phone.Identity) bool {
	det := tone.NewDetector(tone.Config{Freqs: id.Freqs()})
	const block = 1600
	for i := 0; i+block <= len(samples); i += block / 2 {
		if det.Analyse(samples[i : i+block]).Present {
			return true
		}
	}
	return false
}

// waitMessages polls mailbox until it holds n messages.
func waitMessages(ctx context.Context, t *testing.T, in *pbxtest.Instance, mailbox string, n int) []pbx.VoicemailMessage {
	t.Helper()
	for {
		ms, err := in.VoicemailMessages(ctx, mailbox)
		if err != nil {
			t.Fatal(err)
		}
		if len(ms) == n {
			return ms
		}
		select {
		case <-ctx.Done():
			t.Fatalf("mailbox %s holds %d messages, want %d", mailbox, len(ms), n)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// leaveMessage: from calls the mailbox owner's number, is answered by the
// mailbox, hears the beep, talks for a second and a half, hangs up.
func leaveMessage(ctx context.Context, t *testing.T, from *testPhone, to string) {
	t.Helper()
	c, err := from.Dial(ctx, to)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.WaitAnswer(ctx); err != nil {
		t.Fatalf("voicemail did not answer: %v (code %d)", err, c.Code())
	}
	bctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if _, err := c.Listen(bctx, phone.SingleTone(voicemail.BeepHz)); err != nil {
		t.Fatalf("no beep: %v", err)
	}
	time.Sleep(1500 * time.Millisecond) // the message: from's identity
	if err := c.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
}

// checkMessage: the message is from caller, new, and its WAV carries the
// caller's identity and neither the owner's nor the beep.
func checkMessage(t *testing.T, m pbx.VoicemailMessage, caller, owner string) {
	t.Helper()
	if m.Caller != caller || !m.New || m.Duration < 500*time.Millisecond {
		t.Errorf("message %+v, want a new one from %s of at least 0.5 s", m, caller)
	}
	samples, err := pbx.ReadRecording(m.Path)
	if err != nil {
		t.Fatalf("read message: %v", err)
	}
	if !heard(samples, phone.IdentityFor(caller)) {
		t.Errorf("the message does not carry %s's audio (%s)", caller, phone.IdentityFor(caller))
	}
	if heard(samples, phone.IdentityFor(owner)) {
		t.Errorf("the message carries %s's audio", owner)
	}
	if heard(samples, phone.SingleTone(voicemail.BeepHz)) {
		t.Errorf("the message recorded the beep")
	}
}

func TestVoicemailDepositOnBusy(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	in := startPBX(t, withVoicemail, pbxtest.Options{})
	ps := registered(ctx, t, in.UDP.String(), phone.Config{}, "2000", "2001")
	ps["2001"].SetAnswer(phone.AnswerMode{Behaviour: phone.Busy})
	leaveMessage(ctx, t, ps["2000"], "2001")
	ms := waitMessages(ctx, t, in, "2001", 1)
	checkMessage(t, ms[0], "2000", "2001")
	if _, err := os.Stat(ms[0].Path); err != nil {
		t.Fatal(err)
	}
}

func TestVoicemailDepositOnNoAnswer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	in := startPBX(t, withVoicemail, pbxtest.Options{})
	ps := registered(ctx, t, in.UDP.String(), phone.Config{}, "2000", "2001")
	ps["2001"].SetAnswer(phone.AnswerMode{Behaviour: phone.NoAnswer})
	leaveMessage(ctx, t, ps["2000"], "2001")
	ms := waitMessages(ctx, t, in, "2001", 1)
	checkMessage(t, ms[0], "2000", "2001")
}

// TestBusyWithoutMailboxStaysBusy: the negative control of deposit, 2002
// has no mailbox: its caller gets 486.
func TestBusyWithoutMailboxStaysBusy(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	in := startPBX(t, withVoicemail, pbxtest.Options{})
	ps := registered(ctx, t, in.UDP.String(), phone.Config{}, "2000", "2002")
	ps["2002"].SetAnswer(phone.AnswerMode{Behaviour: phone.Busy})
	c, err := ps["2000"].Dial(ctx, "2002")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.WaitAnswer(ctx); err == nil || c.Code() != 486 {
		t.Fatalf("call to 2002 answered %d (%v), want 486", c.Code(), err)
	}
}

// waitNew polls mailbox until its first message's New flag is want.
func waitNew(ctx context.Context, t *testing.T, in *pbxtest.Instance, mailbox string, want bool) {
	t.Helper()
	for {
		ms, err := in.VoicemailMessages(ctx, mailbox)
		if err == nil && len(ms) > 0 && ms[0].New == want {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("message of %s never became new=%v: %+v", mailbox, want, ms)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// TestVoicemailRetrieval: 2000 leaves a message for 2001; 2001 dials the
// voicemail number, does not hear 2000 before pressing 1, hears 2000's
// audio after (the message is then old), deletes it with 7: the mailbox
// is empty and MWI says no message.
func TestVoicemailRetrieval(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	in := startPBX(t, withVoicemail, pbxtest.Options{})
	ps := registered(ctx, t, in.UDP.String(), phone.Config{}, "2000", "2001")
	ps["2001"].SetAnswer(phone.AnswerMode{Behaviour: phone.Busy})
	leaveMessage(ctx, t, ps["2000"], "2001")
	waitMessages(ctx, t, in, "2001", 1)
	sub, err := ps["2001"].Subscribe(ctx, mwi.Event)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sub.WaitNotify(ctx, voice(1, 0)); err != nil {
		t.Fatal(err)
	}

	c, err := ps["2001"].Dial(ctx, "600")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.WaitAnswer(ctx); err != nil {
		t.Fatalf("voicemail number: %v (code %d)", err, c.Code())
	}
	depositor := phone.IdentityFor("2000")
	nctx, ncancel := context.WithTimeout(ctx, time.Second)
	if _, err := c.Listen(nctx, depositor); err == nil {
		t.Errorf("2001 hears 2000 before asking for the message")
	}
	ncancel()
	press(ctx, t, c, "1")
	lctx, lcancel := context.WithTimeout(ctx, 10*time.Second)
	if _, err := c.Listen(lctx, depositor); err != nil {
		t.Errorf("2001 does not hear the message: %v", err)
	}
	lcancel()
	waitNew(ctx, t, in, "2001", false)
	if _, err := sub.WaitNotify(ctx, voice(0, 1)); err != nil {
		t.Errorf("no NOTIFY with the message heard (0/1): %v", err)
	}
	press(ctx, t, c, "7")
	ms := waitMessages(ctx, t, in, "2001", 0)
	if len(ms) != 0 {
		t.Fatalf("mailbox after delete: %+v", ms)
	}
	if _, err := sub.WaitNotify(ctx, voice(0, 0)); err != nil {
		t.Errorf("no NOTIFY of the empty mailbox: %v", err)
	}
	if err := c.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestVoicemailGreeting: 2001 records a greeting (0, talk, #); a caller
// who then finds 2001 busy hears it — 2001's own identity — before the
// beep.
func TestVoicemailGreeting(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	in := startPBX(t, withVoicemail, pbxtest.Options{})
	ps := registered(ctx, t, in.UDP.String(), phone.Config{}, "2000", "2001")
	c, err := ps["2001"].Dial(ctx, "600")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.WaitAnswer(ctx); err != nil {
		t.Fatal(err)
	}
	press(ctx, t, c, "0")
	bctx, bcancel := context.WithTimeout(ctx, 10*time.Second)
	if _, err := c.Listen(bctx, phone.SingleTone(voicemail.BeepHz)); err != nil {
		t.Fatalf("no beep before the greeting: %v", err)
	}
	bcancel()
	time.Sleep(1500 * time.Millisecond) // the greeting: 2001's identity
	press(ctx, t, c, "#")
	greeting := in.Voicemail().GreetingPath("2001")
	for {
		if _, err := os.Stat(greeting); err == nil {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatal("no greeting file")
		case <-time.After(20 * time.Millisecond):
		}
	}
	if err := c.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	samples, err := pbx.ReadRecording(greeting)
	if err != nil {
		t.Fatal(err)
	}
	if !heard(samples, phone.IdentityFor("2001")) || heard(samples, phone.IdentityFor("2000")) {
		t.Fatalf("the greeting does not carry 2001's audio alone")
	}

	ps["2001"].SetAnswer(phone.AnswerMode{Behaviour: phone.Busy})
	d, err := ps["2000"].Dial(ctx, "2001")
	if err != nil {
		t.Fatal(err)
	}
	if err := d.WaitAnswer(ctx); err != nil {
		t.Fatal(err)
	}
	gctx, gcancel := context.WithTimeout(ctx, 10*time.Second)
	defer gcancel()
	if _, err := d.Listen(gctx, phone.IdentityFor("2001")); err != nil {
		t.Errorf("2000 does not hear 2001's greeting: %v", err)
	}
	if err := d.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestIVRToVoicemail: an IVR option {voicemail: "2001"} leaves the caller
// in 2001's mailbox: beep, recording, a message carrying the caller's
// audio.
func TestIVRToVoicemail(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	file := filepath.Join(t.TempDir(), "ivr.yaml")
	yaml := "numbers: {\"500\": main}\nmenus:\n  main:\n    prompt: you-have\n    options:\n      \"3\": {voicemail: \"2001\"}\n"
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	in := startPBX(t, func(c *config.Config) {
		withVoicemail(c)
		c.IVRs = []config.IVR{{File: file}}
	}, pbxtest.Options{})
	ps := registered(ctx, t, in.UDP.String(), phone.Config{}, "2000")
	c, err := ps["2000"].Dial(ctx, "500")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.WaitAnswer(ctx); err != nil {
		t.Fatalf("IVR: %v (code %d)", err, c.Code())
	}
	press(ctx, t, c, "3")
	bctx, bcancel := context.WithTimeout(ctx, 15*time.Second)
	if _, err := c.Listen(bctx, phone.SingleTone(voicemail.BeepHz)); err != nil {
		t.Fatalf("no beep after the IVR's voicemail option: %v", err)
	}
	bcancel()
	time.Sleep(1500 * time.Millisecond)
	if err := c.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	ms := waitMessages(ctx, t, in, "2001", 1)
	checkMessage(t, ms[0], "2000", "2001")
}

// press sends digits once the phone's stream is sending (SendDTMF refuses
// a stream whose sender has not started yet, right after the answer).
func press(ctx context.Context, t *testing.T, c *phone.Call, digits string) {
	t.Helper()
	for c.MediaStats().PacketsOut == 0 {
		select {
		case <-ctx.Done():
			t.Fatalf("%s never sent audio", c.CallID())
		case <-time.After(10 * time.Millisecond):
		}
	}
	if err := c.SendDTMF(ctx, digits); err != nil {
		t.Fatal(err)
	}
}

// TestVoicemailSaveAndRepeat: a message heard and saved (9) stays as an
// old message; a later retrieval plays old messages too (1), and 2 plays
// the current one again.
func TestVoicemailSaveAndRepeat(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	in := startPBX(t, withVoicemail, pbxtest.Options{})
	ps := registered(ctx, t, in.UDP.String(), phone.Config{}, "2000", "2001")
	ps["2001"].SetAnswer(phone.AnswerMode{Behaviour: phone.Busy})
	leaveMessage(ctx, t, ps["2000"], "2001")
	waitMessages(ctx, t, in, "2001", 1)
	depositor := phone.IdentityFor("2000")
	retrieve := func() *phone.Call {
		c, err := ps["2001"].Dial(ctx, "600")
		if err != nil {
			t.Fatal(err)
		}
		if err := c.WaitAnswer(ctx); err != nil {
			t.Fatal(err)
		}
		return c
	}
	hear := func(c *phone.Call, what string) {
		t.Helper()
		lctx, lcancel := context.WithTimeout(ctx, 10*time.Second)
		defer lcancel()
		if _, err := c.Listen(lctx, depositor); err != nil {
			t.Fatalf("%s: 2001 does not hear the message: %v", what, err)
		}
	}
	c := retrieve()
	press(ctx, t, c, "1")
	hear(c, "first play")
	press(ctx, t, c, "9")
	if err := c.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	ms := waitMessages(ctx, t, in, "2001", 1)
	if ms[0].New {
		t.Fatalf("saved message still new: %+v", ms[0])
	}

	c = retrieve()
	press(ctx, t, c, "1")
	hear(c, "old message")
	// wait for the message's end: then 2 must bring it back
	time.Sleep(3 * time.Second)
	nctx, ncancel := context.WithTimeout(ctx, time.Second)
	if _, err := c.Listen(nctx, depositor); err == nil {
		t.Errorf("the message still plays 3 s after it started (it lasts 1.5 s)")
	}
	ncancel()
	press(ctx, t, c, "2")
	hear(c, "repeat")
	if err := c.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	if ms := waitMessages(ctx, t, in, "2001", 1); ms[0].New {
		t.Errorf("message new again: %+v", ms[0])
	}
}
