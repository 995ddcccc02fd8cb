package call_test

import (
	"strings"
	"testing"
	"testing/synctest"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/testua"
	"pbxlab/pbx/config"
)

// followers adds subscribers that follow their phones' redirects.
func followers(numbers ...string) rigOption {
	return func(c *rigConfig) {
		for _, n := range numbers {
			c.cfg.ExplicitSubscribers = append(c.cfg.ExplicitSubscribers, config.Subscriber{Number: n, Password: "demo" + n, FollowRedirects: true})
		}
	}
}

// redirectTo answers in with 302 and contact.
func redirectTo(r *setupRig, in *testua.Incoming, contact sip.Uri) {
	r.t.Helper()
	res := in.NewResponse(302, "Moved Temporarily")
	res.AppendHeader(&sip.ContactHeader{Address: contact})
	r.respond(in, res)
}

// TestSetupFollowRedirect: 7001 follows redirects; its phone answers 302
// naming 1001's phone. The caller hears 181, 1001's phone rings with a
// Diversion from 7001 (reason unconditional, counter 1), answers, and the
// caller gets that 200. Without follow_redirects the 302 and its Contact
// reach the caller.
func TestSetupFollowRedirect(t *testing.T) {
	for _, follow := range []bool{true, false} {
		name := map[bool]string{true: "followed", false: "relayed"}[follow]
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				opts := []rigOption{trustedCallers()}
				if follow {
					opts = append(opts, followers("7001"))
				} else {
					opts = append(opts, func(c *rigConfig) {
						c.cfg.ExplicitSubscribers = append(c.cfg.ExplicitSubscribers, config.Subscriber{Number: "7001", Password: "demo7001"})
					})
				}
				r := newSetupRig(t, opts...)
				a, fwd, b := r.ua("1000"), r.callee("7001"), r.callee("1001")
				tx := r.invite(a, "7001", a.Offer(), nil)
				in := r.incoming(fwd, testua.Method(sip.INVITE))
				redirectTo(r, in, b.ContactURI())
				if !follow {
					res := r.final(tx)
					if res.StatusCode != 302 || res.GetHeader("Contact") == nil || !strings.Contains(res.GetHeader("Contact").Value(), b.ContactURI().Host) {
						t.Fatalf("caller got %d %v, want the 302 with 1001's contact", res.StatusCode, res.GetHeader("Contact"))
					}
					return
				}
				r.await(a, testua.And(testua.Of(tx.Request()), testua.Status(181)), "181 at the caller")
				inB := r.incoming(b, testua.Method(sip.INVITE), "the diverted INVITE at 1001")
				div := headerValues(inB.Request(), "Diversion")
				if len(div) != 1 || !strings.HasPrefix(div[0], "<sip:7001@") || !strings.Contains(div[0], ";reason=unconditional;counter=1") {
					t.Errorf("Diversion %q, want one from 7001, reason unconditional, counter 1", div)
				}
				ok, err := inB.Answer()
				if err != nil {
					t.Fatal(err)
				}
				go func() { _, _ = inB.RespondUntilAck(r.ctx, ok) }()
				if res := r.final(tx); res.StatusCode != 200 {
					t.Fatalf("diverted call answered %d", res.StatusCode)
				}
				r.ack(tx, nil)
				r.bye(tx.Dialog())
				r.incoming(b, testua.Method(sip.BYE))
			})
		})
	}
}

// TestSetupRedirectLoop: 7001 redirects to 7002's phone, which redirects
// back to 7001's: the call layer does not ring 7001 again; the caller
// gets 482 Loop Detected.
func TestSetupRedirectLoop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newSetupRig(t, trustedCallers(), followers("7001", "7002"))
		a, p1, p2 := r.ua("1000"), r.callee("7001"), r.callee("7002")
		tx := r.invite(a, "7001", a.Offer(), nil)
		in1 := r.incoming(p1, testua.Method(sip.INVITE))
		redirectTo(r, in1, p2.ContactURI())
		in2 := r.incoming(p2, testua.Method(sip.INVITE))
		redirectTo(r, in2, p1.ContactURI())
		if res := r.final(tx); res.StatusCode != 482 {
			t.Fatalf("caller got %d, want 482 Loop Detected", res.StatusCode)
		}
		if n := len(p1.Incoming(testua.Method(sip.INVITE))); n != 1 {
			t.Errorf("7001's phone got %d INVITEs, want 1 (the loop not rung)", n)
		}
	})
}
