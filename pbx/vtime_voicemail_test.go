package pbx_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/mwi"
	"pbxlab/internal/testua"
	"pbxlab/pbx/config"
	"pbxlab/pbx/pbxtest/vnet"
	"pbxlab/sim/phone"
)

// Voicemail and MWI in virtual time: the timers (subscription expiry,
// the message's maximum length) at their exact values, and SIP INFO
// DTMF. The phones and test UAs send no RTP here: the audio is proven by
// the real-time tests (voicemail_test.go).

// virtualVoicemail starts the PBX with withVoicemail's mailboxes and the
// message's maximum length; every address of the network is a trusted
// peer (test UAs call without digest), so the phones of the harness are
// too: see virtualOwners.
func virtualVoicemail(t *testing.T, maxMessage time.Duration) *vnet.Harness {
	t.Helper()
	cfg := trustingPhones()
	withVoicemail(cfg)
	cfg.Voicemail.MaxMessage = maxMessage
	return vnet.Start(t, cfg, vnet.WithSettle(synctest.Wait), vnet.WithMedia())
}

// virtualOwners starts the PBX with withVoicemail's mailboxes and no
// trusted peer: the harness's phones call as authenticated subscribers.
func virtualOwners(t *testing.T, tweak func(*config.Config)) *vnet.Harness {
	t.Helper()
	cfg := config.Demo()
	withVoicemail(cfg)
	if tweak != nil {
		tweak(cfg)
	}
	opts := []vnet.Option{vnet.WithSettle(synctest.Wait)}
	if cfg.Media.Enabled {
		opts = append(opts, vnet.WithMedia())
	}
	return vnet.Start(t, cfg, opts...)
}

// TestVirtualMWIRefreshAndExpiry: a subscription for 600 s refreshed at
// 300 s for 600 s ends at 900 s exactly, with a NOTIFY terminated;reason=timeout;
// the NOTIFY after the refresh says 600 s are left.
func TestVirtualMWIRefreshAndExpiry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Hour)
		defer cancel()
		h := virtualVoicemail(t, time.Minute)
		p := h.Phone("2001")
		start := time.Now()
		sub, err := p.SubscribeFor(ctx, mwi.Event, 600*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if n, err := sub.WaitNotify(ctx, voice(0, 0)); err != nil || n.State != "active;expires=600" {
			t.Fatalf("first NOTIFY %q, %v", n.State, err)
		}
		time.Sleep(300 * time.Second)
		if err := sub.Refresh(ctx, 600*time.Second); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if ns := sub.Notifies(); len(ns) != 2 || ns[1].State != "active;expires=600" {
			t.Fatalf("NOTIFYs after the refresh: %+v", ns)
		}
		end, err := sub.WaitNotify(ctx, phone.Notify.Terminated)
		if err != nil {
			t.Fatal(err)
		}
		if d := end.At.Sub(start); d != 900*time.Second || end.State != "terminated;reason=timeout" {
			t.Errorf("ended %s after the SUBSCRIBE with %q, want 900s and terminated;reason=timeout", d, end.State)
		}
		if n := h.PBX.Subscriptions(); n != 0 {
			t.Errorf("%d subscriptions left", n)
		}
	})
}

// depositCall has a test UA (a trusted peer, as 2000) call 2001, who is
// busy; the mailbox answers; the UA ACKs. It returns the dialog and when
// the 200 came.
func depositCall(ctx context.Context, t *testing.T, h *vnet.Harness) (*testua.UA, *testua.Dialog, time.Time) {
	t.Helper()
	h.Phone("2001", vnet.Answer(phone.AnswerMode{Behaviour: phone.Busy}))
	u := virtualUA(t, h, "2000")
	tx, err := u.Start(u.NewInvite("2001", u.Offer()))
	if err != nil {
		t.Fatal(err)
	}
	res, err := tx.Final(ctx)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("INVITE to busy 2001 answered %v, %v: want 200 from the mailbox", res, err)
	}
	if _, err := tx.Ack(nil); err != nil {
		t.Fatal(err)
	}
	return u, tx.Dialog(), time.Now()
}

// TestVirtualVoicemailMaxLength: the PBX hangs up a deposit once the
// recording has lasted voicemail.max_message: after the greeting (4.93 s)
// and the beep (0.5 s), 10 s later.
func TestVirtualVoicemailMaxLength(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), time.Hour)
		defer cancel()
		h := virtualVoicemail(t, 10*time.Second)
		u, _, answered := depositCall(ctx, t, h)
		bye, err := u.AwaitIncoming(ctx, testua.Method(sip.BYE))
		if err != nil {
			t.Fatal(err)
		}
		if d := bye.Record().At.Sub(answered); d < 15*time.Second || d > 16*time.Second {
			t.Errorf("BYE %s after the answer, want 10 s after greeting and beep (15.4 s)", d)
		}
	})
}

// TestVirtualVoicemailInfoHash: # sent as SIP INFO (application/dtmf-relay)
// during the recording ends the deposit at once (200 to the INFO, BYE
// from the PBX), well before the maximum length; a body that names no
// digit is 400.
func TestVirtualVoicemailInfoHash(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), time.Hour)
		defer cancel()
		h := virtualVoicemail(t, time.Minute)
		u, d, answered := depositCall(ctx, t, h)
		time.Sleep(7 * time.Second) // past the greeting and the beep: recording
		info := func(body string) int {
			req := d.NewRequest(sip.INFO)
			ct := sip.ContentTypeHeader("application/dtmf-relay")
			req.AppendHeader(&ct)
			req.SetBody([]byte(body))
			tx, err := d.Start(req)
			if err != nil {
				t.Fatal(err)
			}
			res, err := tx.Final(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return res.StatusCode
		}
		if code := info("Duration=160\r\n"); code != 400 {
			t.Errorf("INFO without a digit: %d, want 400", code)
		}
		if code := info("Signal=#\r\nDuration=160\r\n"); code != 200 {
			t.Fatalf("INFO #: %d", code)
		}
		bye, err := u.AwaitIncoming(ctx, testua.Method(sip.BYE))
		if err != nil {
			t.Fatal(err)
		}
		if at := bye.Record().At.Sub(answered); at > 8*time.Second {
			t.Errorf("BYE %s after the answer, want right after the # at 7 s", at)
		}
		recs := cdrsOf(t, h)
		if len(recs) != 1 || recs[0].Callee != "2001" || recs[0].Reason != "voicemail: message recorded" {
			t.Errorf("CDRs %+v, want one to 2001 ended by the #", recs)
		}
	})
}

// TestVirtualVoicemailLateOffer: an INVITE without SDP to a busy 2001 gets
// the mailbox's offer in the 200 and the caller's answer comes in the ACK:
// with a usable answer the deposit runs its course (greeting, beep,
// recording to its maximum length: BYE at 15.4 s); with an answer that is
// no SDP the PBX hangs up at once.
func TestVirtualVoicemailLateOffer(t *testing.T) {
	for _, tc := range []struct {
		name     string
		answer   func(u *testua.UA, offer []byte) []byte
		min, max time.Duration
	}{
		{"answer", func(u *testua.UA, offer []byte) []byte {
			a, err := u.Answer(offer)
			if err != nil {
				t.Fatalf("the 200's offer: %v\n%s", err, offer)
			}
			return a
		}, 15 * time.Second, 16 * time.Second},
		{"no sdp", func(*testua.UA, []byte) []byte { return []byte("hello") }, 0, time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx, cancel := context.WithTimeout(t.Context(), time.Hour)
				defer cancel()
				h := virtualVoicemail(t, 10*time.Second)
				h.Phone("2001", vnet.Answer(phone.AnswerMode{Behaviour: phone.Busy}))
				u := virtualUA(t, h, "2000")
				tx, err := u.Start(u.NewInvite("2001", nil))
				if err != nil {
					t.Fatal(err)
				}
				res, err := tx.Final(ctx)
				if err != nil || res.StatusCode != 200 || len(res.Body()) == 0 {
					t.Fatalf("offerless INVITE answered %v, %v: want a 200 with the mailbox's offer", res, err)
				}
				if _, err := tx.Ack(tc.answer(u, res.Body())); err != nil {
					t.Fatal(err)
				}
				acked := time.Now()
				bye, err := u.AwaitIncoming(ctx, testua.Method(sip.BYE))
				if err != nil {
					t.Fatal(err)
				}
				if d := bye.Record().At.Sub(acked); d < tc.min || d > tc.max {
					t.Errorf("BYE %s after the ACK, want between %s and %s", d, tc.min, tc.max)
				}
			})
		})
	}
}

// TestVirtualVoicemailIdle: the owner who dials the voicemail number and
// presses nothing hears the summary, then after voicemail.idle (30 s)
// goodbye, and the PBX hangs up.
func TestVirtualVoicemailIdle(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), time.Hour)
		defer cancel()
		h := virtualOwners(t, nil)
		p := h.Phone("2001")
		c, err := p.Dial(ctx, "600")
		if err != nil {
			t.Fatal(err)
		}
		if err := c.WaitAnswer(ctx); err != nil {
			t.Fatalf("voicemail number: %v (code %d)", err, c.Code())
		}
		answered := time.Now()
		end, err := c.Wait(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// "you have no new messages" (2.24 s), 30 s, "goodbye" (0.7 s)
		if d := time.Since(answered); end.By != phone.Remote || d < 32*time.Second || d > 34*time.Second {
			t.Errorf("ended by %s %s after the answer, want the PBX at about 33 s", end.By, d)
		}
	})
}

// TestVirtualVoicemailNumberRefusals: the voicemail number is for
// subscribers with a mailbox: one without gets 404, a trusted peer 403.
func TestVirtualVoicemailNumberRefusals(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), time.Hour)
		defer cancel()
		h := virtualOwners(t, nil)
		c, err := h.Phone("2002").Dial(ctx, "600")
		if err != nil {
			t.Fatal(err)
		}
		if err := c.WaitAnswer(ctx); err == nil || c.Code() != 404 {
			t.Errorf("2002 (no mailbox) dialling 600: %d, want 404", c.Code())
		}
	})
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), time.Hour)
		defer cancel()
		h := virtualVoicemail(t, time.Minute)
		u := virtualUA(t, h, "2001")
		tx, err := u.Start(u.NewInvite("600", u.Offer()))
		if err != nil {
			t.Fatal(err)
		}
		if res, err := tx.Final(ctx); err != nil || res.StatusCode != 403 {
			t.Errorf("a trusted peer calling as 2001: %v %v, want 403", res, err)
		}
	})
}

// TestVirtualVoicemailNeedsMediaServer: with media.enabled false the
// mailbox takes nothing (a busy callee stays 486) and the voicemail
// number answers 486 (the manual: media services fail busy).
func TestVirtualVoicemailNeedsMediaServer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), time.Hour)
		defer cancel()
		h := virtualOwners(t, func(c *config.Config) { c.Media.Enabled = false })
		h.Phone("2001", vnet.Answer(phone.AnswerMode{Behaviour: phone.Busy}))
		caller := h.Phone("2000")
		c, err := caller.Dial(ctx, "2001")
		if err != nil {
			t.Fatal(err)
		}
		if err := c.WaitAnswer(ctx); err == nil || c.Code() != 486 {
			t.Errorf("busy 2001 without media server: %d, want 486", c.Code())
		}
		v, err := h.Phone("2001").Dial(ctx, "600")
		if err != nil {
			t.Fatal(err)
		}
		if err := v.WaitAnswer(ctx); err == nil || v.Code() != 486 {
			t.Errorf("voicemail number without media server: %d, want 486", v.Code())
		}
	})
}
