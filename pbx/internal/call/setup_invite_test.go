package call_test

import (
	"fmt"
	"testing"
	"testing/synctest"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/testua"
)

// TestSetupCancelCarriesReason: the caller CANCELs because an upstream
// fork answered (Reason cause=200, RFC 3326); the PBX's CANCEL to the
// callee carries that Reason.
func TestSetupCancelCarriesReason(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newSetupRig(t, trustedCallers())
		a, b := r.ua("1000"), r.callee("1001")
		tx := r.invite(a, "1001", a.Offer(), nil)
		in := r.incoming(b, testua.Method(sip.INVITE))
		r.await(a, testua.And(testua.Of(tx.Request()), testua.Status(180)))

		const reason = `SIP;cause=200;text="Call completed elsewhere"`
		ctx, err := a.Start(cancelOf(tx.Request(), sip.NewHeader("Reason", reason)))
		if err != nil {
			t.Fatal(err)
		}
		if res := r.final(ctx); res.StatusCode != 200 {
			t.Fatalf("CANCEL answered %d", res.StatusCode)
		}
		if res := r.final(tx); res.StatusCode != 487 {
			t.Fatalf("cancelled INVITE answered %d", res.StatusCode)
		}
		cancel, err := in.AwaitCancel(r.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got := headerValues(cancel.Request(), "Reason"); len(got) != 1 || got[0] != reason {
			t.Errorf("callee's CANCEL Reason %q, want the caller's %q", got, reason)
		}
	})
}

// cancelOf is the CANCEL of inv (RFC 3261 §9.1) with extra headers.
func cancelOf(inv *sip.Request, extra ...sip.Header) *sip.Request {
	c := sip.NewRequest(sip.CANCEL, *inv.Recipient.Clone())
	c.AppendHeader(inv.Via().Clone())
	mf := sip.MaxForwardsHeader(70)
	c.AppendHeader(&mf)
	c.AppendHeader(sip.HeaderClone(inv.From()))
	c.AppendHeader(sip.HeaderClone(inv.To()))
	c.AppendHeader(sip.HeaderClone(inv.CallID()))
	c.AppendHeader(&sip.CSeqHeader{SeqNo: inv.CSeq().SeqNo, MethodName: sip.CANCEL})
	for _, h := range extra {
		c.AppendHeader(h)
	}
	c.SetBody(nil)
	return c
}

// TestSetupMaxForwards: the INVITE to the callee has the caller's
// Max-Forwards less one (RFC 3261 §16.6 step 3, which a B2BUA keeps so
// loops through it still end); 1 becomes 0, and the callee's 483 reaches
// the caller.
func TestSetupMaxForwards(t *testing.T) {
	for _, tc := range []struct {
		in, out int
	}{{70, 69}, {5, 4}, {1, 0}} {
		t.Run(fmt.Sprintf("%d in", tc.in), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				r := newSetupRig(t, trustedCallers())
				a, b := r.ua("1000"), r.callee("1001")
				tx := r.invite(a, "1001", a.Offer(), func(req *sip.Request) {
					req.RemoveHeader("Max-Forwards")
					mf := sip.MaxForwardsHeader(tc.in)
					req.AppendHeader(&mf)
				})
				in := r.incoming(b, testua.Method(sip.INVITE))
				mf := in.Request().MaxForwards()
				if mf == nil || int(mf.Val()) != tc.out {
					t.Fatalf("Max-Forwards %d in: callee's INVITE has %v, want %d", tc.in, mf, tc.out)
				}
				if tc.out > 0 {
					if _, err := tx.Cancel(); err != nil {
						t.Fatal(err)
					}
					if res := r.final(tx); res.StatusCode != 487 {
						t.Errorf("cancelled INVITE answered %d", res.StatusCode)
					}
					return
				}
				// a proxy behind the callee's contact cannot forward it further
				r.respond(in, in.NewResponse(483, "Too Many Hops"))
				if res := r.final(tx); res.StatusCode != 483 {
					t.Errorf("caller got %d, want the callee's 483", res.StatusCode)
				}
			})
		})
	}
}
