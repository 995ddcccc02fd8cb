package call_test

import (
	"context"
	"testing"
	"testing/synctest"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/testua"
	"pbxlab/pbx/internal/call"
)

// withFailoverRoute routes 8000 to sip:8000@carrier.test at the first of
// *servers (read when the call comes), the others as the target's Failover
// (what pbx makes of RFC 3263 DNS).
func withFailoverRoute(servers *[]*testua.UA) rigOption {
	return withCallPolicy(func(base call.Policy) call.Policy {
		return call.Funcs{
			ClassifyFunc: base.Classify,
			RouteFunc: func(ctx context.Context, in call.Incoming) (call.Decision, error) {
				if in.Dialled != "8000" {
					return base.Route(ctx, in)
				}
				u := sip.Uri{Scheme: "sip", User: "8000", Host: "carrier.test", UriParams: sip.NewParams(), Headers: sip.NewParams()}
				ss := *servers
				t := call.Target{URI: u, Contact: u, Transport: "udp", Dest: ss[0].Local().String()}
				for _, s := range ss[1:] {
					t.Failover = append(t.Failover, call.Hop{Transport: "udp", Dest: s.Local().String()})
				}
				return call.Decision{Kind: call.ToRoute, Callee: "8000", Targets: []call.Target{t}}, nil
			},
			OnFailureFunc: base.OnFailure,
			OnAnswerFunc:  base.OnAnswer,
			InDialogFunc:  base.InDialog,
			OnHangupFunc:  base.OnHangup,
		}
	})
}

// TestFailoverOn503AfterRinging: the first server rings, then answers 503
// (it failed downstream): the INVITE goes to the next server in a new
// transaction with the same Request-URI, which answers; the caller gets
// the 200 and never the 503.
func TestFailoverOn503AfterRinging(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var servers []*testua.UA
		r := newSetupRig(t, trustedCallers(), withFailoverRoute(&servers))
		a := r.ua("1000")
		servers = []*testua.UA{r.ua("carrier"), r.ua("carrier")}
		tx := r.invite(a, "8000", a.Offer(), nil)
		first := r.incoming(servers[0], testua.Method(sip.INVITE))
		r.await(a, testua.And(testua.Of(tx.Request()), testua.Status(180)))
		r.respond(first, first.NewResponse(503, "Service Unavailable"))
		second := r.incoming(servers[1], testua.Method(sip.INVITE), "the INVITE on the next server")
		if got, want := second.Request().Recipient.Host, "carrier.test"; got != want {
			t.Errorf("Request-URI host %q, want %q", got, want)
		}
		b1, _ := first.Request().Via().Params.Get("branch")
		if b2, _ := second.Request().Via().Params.Get("branch"); b1 == b2 {
			t.Errorf("the failover INVITE reused the branch %s: want a new transaction", b1)
		}
		r.answer(second)
		if res := r.final(tx); res.StatusCode != 200 {
			t.Fatalf("caller got %d, want the second server's 200", res.StatusCode)
		}
		r.ack(tx, nil)
		for _, c := range codesOf(tx.Responses()) {
			if c == 503 {
				t.Errorf("the caller saw the 503")
			}
		}
		r.bye(tx.Dialog())
	})
}

// TestNoFailoverAfterCancel: the caller gives up while the first server
// rings; that server's 503 (instead of 487) does not start the next one.
func TestNoFailoverAfterCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var servers []*testua.UA
		r := newSetupRig(t, trustedCallers(), withFailoverRoute(&servers))
		a := r.ua("1000")
		servers = []*testua.UA{r.ua("carrier", testua.WithAuto(testua.DefaultAuto&^testua.AutoCancel)), r.ua("carrier")}
		tx := r.invite(a, "8000", a.Offer(), nil)
		first := r.incoming(servers[0], testua.Method(sip.INVITE))
		r.await(a, testua.And(testua.Of(tx.Request()), testua.Status(180)))
		if _, err := tx.Cancel(); err != nil {
			t.Fatal(err)
		}
		c := r.incoming(servers[0], testua.Method(sip.CANCEL))
		r.respond(c, c.NewResponse(200, "OK"))
		r.respond(first, first.NewResponse(503, "Service Unavailable"))
		if res := r.final(tx); res.StatusCode != 487 {
			t.Fatalf("caller got %d after its CANCEL, want 487", res.StatusCode)
		}
		synctest.Wait()
		if n := len(servers[1].Incoming(testua.Method(sip.INVITE))); n != 0 {
			t.Fatalf("the next server got %d INVITEs after the caller cancelled", n)
		}
	})
}
