package call_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"pbxlab/pbx"
	"pbxlab/pbx/internal/call"
)

// TestReroute: a service that took a call (ToService) hands it back with
// a new decision 2 s later: the callee rings then, its answer answers the
// caller, the CDR is the call to it; a Reroute once the call is answered
// does nothing.
func TestReroute(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), time.Hour)
		defer cancel()
		type taken struct {
			c *call.Call
			d call.Decision
		}
		took := make(chan taken, 1)
		applied := make(chan bool, 2)
		h := withPolicy(t, func(base call.Policy) call.Policy {
			f := delegate(base)
			f.RouteFunc = func(ctx context.Context, in call.Incoming) (call.Decision, error) {
				if in.Dialled != "later" {
					return base.Route(ctx, in)
				}
				in.Dialled = "1001"
				d, err := base.Route(ctx, in)
				if err != nil {
					return d, err
				}
				return call.Decision{Kind: call.ToService, Callee: "later", Service: func(c *call.Call) {
					took <- taken{c, d}
					time.AfterFunc(2*time.Second, func() { c.Do(func() { applied <- c.Reroute(d) }) })
				}}, nil
			}
			return f
		})
		a, b := h.Phone("1000"), h.Phone("1001")
		start := time.Now()
		c, err := a.Dial(ctx, "later")
		if err != nil {
			t.Fatal(err)
		}
		in, err := b.NextIncoming(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d < 2*time.Second {
			t.Errorf("1001 rang %v after the call, before the Reroute", d)
		}
		if !<-applied {
			t.Fatal("Reroute of a ringing call reported false")
		}
		if err := c.WaitAnswer(ctx); err != nil {
			t.Fatalf("caller not answered: %v (code %d)", err, c.Code())
		}
		tk := <-took
		tk.c.Do(func() { applied <- tk.c.Reroute(tk.d) })
		if <-applied {
			t.Error("Reroute of an answered call reported true")
		}
		if err := c.Hangup(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := in.Wait(ctx); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		recs, err := h.PBX.ListCDRs(ctx, pbx.CDRFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 1 || recs[0].Callee != "1001" || recs[0].Disposition != pbx.Answered {
			t.Fatalf("CDRs %+v, want one answered call to 1001", recs)
		}
	})
}
