package pbx_test

import (
	"context"
	"os"
	"testing"
	"time"

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
