package pbx_test

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/zaf/g711"

	"pbxlab/internal/sdpneg"
	"pbxlab/internal/tone"
	"pbxlab/pbx"
	"pbxlab/pbx/config"
	"pbxlab/pbx/pbxtest/vnet"
)

// Call interception in virtual time: a call to a vacant number or to a
// subscriber that is not registered gets 183 with the PBX's SDP, hears its
// cause's tone (US plan: busy 480+620 Hz for vacant, dial 350+440 Hz for
// unregistered, 2 s each) in early media, then the final error; with the
// media server off it gets the plain error, no 183 and no audio.

// promptConfig is the trusting demo with tone prompts per cause.
func promptConfig(enabled bool) *config.Config {
	cfg := trustingPhones()
	cfg.Media.Enabled = enabled
	cfg.Media.TonePlan = "us"
	cfg.Media.Prompts = map[string]config.Prompt{
		config.CauseVacant:       {Tone: "busy", Duration: 2 * time.Second},
		config.CauseUnregistered: {Tone: "dial", Duration: 2 * time.Second},
	}
	return cfg
}

// earlyAudio reads n RTP packets on rtp and decodes their G.711 audio.
func earlyAudio(t *testing.T, rtp net.PacketConn, n int) []int16 {
	t.Helper()
	buf := make([]byte, 2048)
	var out []int16
	for range n {
		k, _, err := rtp.ReadFrom(buf)
		if err != nil {
			t.Fatalf("early media: %v", err)
		}
		if k < 12 || buf[0]>>6 != 2 {
			t.Fatalf("not RTP: %x", buf[:k])
		}
		for _, c := range buf[12:k] {
			if buf[1]&0x7f == 8 {
				out = append(out, g711.DecodeAlawFrame(c))
			} else {
				out = append(out, g711.DecodeUlawFrame(c))
			}
		}
	}
	return out
}

func TestVirtualPrompts(t *testing.T) {
	for _, c := range []struct {
		name, dial   string
		code         int
		hear, reject []float64
	}{
		{"vacant number", "1999999", 404, []float64{480, 620}, []float64{350, 440}},
		{"not registered", "1001", 480, []float64{350, 440}, []float64{480, 620}},
	} {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx, cancel := context.WithTimeout(t.Context(), time.Hour)
				defer cancel()
				h := vnet.Start(t, promptConfig(true), vnet.WithSettle(synctest.Wait), vnet.WithMedia())
				u := virtualUA(t, h, "1000")
				rtp := h.Listen("")
				offer, err := sdpneg.Offer(netip.MustParseAddrPort(rtp.LocalAddr().String()), sdpneg.DefaultCodecs(), 1)
				if err != nil {
					t.Fatal(err)
				}
				tx, err := u.Start(u.NewInvite(c.dial, offer))
				if err != nil {
					t.Fatal(err)
				}
				var answer *sdpneg.Session
				for answer == nil {
					rec, err := tx.Next(ctx)
					if err != nil {
						t.Fatal(err)
					}
					res := rec.Response()
					if res.StatusCode >= 200 {
						t.Fatalf("final %d before any 183 with SDP", res.StatusCode)
					}
					if res.StatusCode == 183 && len(res.Body()) > 0 {
						if answer, err = sdpneg.Parse(res.Body()); err != nil {
							t.Fatal(err)
						}
					}
				}
				if answer.Direction != sdpneg.SendOnly || !answer.Addr.IsValid() {
					t.Fatalf("183 SDP %+v, want the PBX's address, sendonly", answer)
				}
				audio := earlyAudio(t, rtp, 25)
				if r := tone.NewDetector(tone.Config{Freqs: c.hear, Reject: c.reject}).Analyse(audio[len(audio)/2:]); !r.Present {
					t.Fatalf("early media: %v Hz not heard alone: %s", c.hear, r.Reason)
				}
				res, err := tx.Final(ctx)
				if err != nil || res.StatusCode != c.code {
					t.Fatalf("final %v, %v; want %d", res, err, c.code)
				}
				if recs := cdrsOf(t, h); len(recs) != 1 || recs[0].Cause != c.code {
					t.Fatalf("CDRs %+v, want one with cause %d", recs, c.code)
				}
			})
		})
	}
}

// TestVirtualPromptsOff: with media.enabled false the same calls get their
// final error without a 183 (the negative control of TestVirtualPrompts).
func TestVirtualPromptsOff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), time.Hour)
		defer cancel()
		h := vnet.Start(t, promptConfig(false), vnet.WithSettle(synctest.Wait))
		u := virtualUA(t, h, "1000")
		for dial, code := range map[string]int{"1999999": 404, "1001": 480} {
			tx, err := u.Start(u.NewInvite(dial, u.Offer()))
			if err != nil {
				t.Fatal(err)
			}
			res, err := tx.Final(ctx)
			if err != nil || res.StatusCode != code {
				t.Fatalf("call to %s: %v, %v; want %d", dial, res, err, code)
			}
			for _, p := range tx.Provisional() {
				if p.StatusCode == 183 || strings.Contains(string(p.Body()), "m=audio") {
					t.Fatalf("call to %s got early media with the media server off: %s", dial, p.Short())
				}
			}
		}
	})
}

// TestVirtualPromptCancelled: a caller that gives up during the prompt
// gets 487 and nothing after it (no 404 once the prompt would have
// ended), and the CDR says CANCELLED.
func TestVirtualPromptCancelled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), time.Hour)
		defer cancel()
		h := vnet.Start(t, promptConfig(true), vnet.WithSettle(synctest.Wait), vnet.WithMedia())
		u := virtualUA(t, h, "1000")
		tx, err := u.Start(u.NewInvite("1999999", u.Offer()))
		if err != nil {
			t.Fatal(err)
		}
		for {
			rec, err := tx.Next(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if code := rec.Response().StatusCode; code == 183 {
				break
			} else if code >= 200 {
				t.Fatalf("final %d before the prompt", code)
			}
		}
		time.Sleep(500 * time.Millisecond) // into the 2 s prompt
		if _, err := tx.Cancel(); err != nil {
			t.Fatal(err)
		}
		res, err := tx.Final(ctx)
		if err != nil || res.StatusCode != 487 {
			t.Fatalf("cancelled during the prompt: %v, %v; want 487", res, err)
		}
		time.Sleep(5 * time.Second) // past the prompt's end
		synctest.Wait()
		for _, r := range tx.Responses() {
			if c := r.Response().StatusCode; c >= 200 && c != 487 {
				t.Fatalf("a %d after the 487", c)
			}
		}
		if recs := cdrsOf(t, h); len(recs) != 1 || recs[0].Disposition != pbx.Cancelled {
			t.Fatalf("CDRs %+v, want one CANCELLED", recs)
		}
	})
}
