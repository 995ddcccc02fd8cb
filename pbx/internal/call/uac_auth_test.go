package call_test

import (
	"context"
	"net/netip"
	"testing"
	"testing/synctest"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/testua"
	"pbxlab/pbx/internal/call"
)

// TestUACAnswersChallenge: a target with Credentials whose INVITE is
// answered 401 gets it again with an Authorization for them (RFC 3261
// §22.2: same Call-ID and From tag, CSeq + 1) and the call completes; a
// target without Credentials does not: the caller gets the 401 with its
// challenge (relay.go), and the callee one INVITE.
func TestUACAnswersChallenge(t *testing.T) {
	for _, tc := range []struct {
		name  string
		creds *call.Credentials
	}{
		{"with credentials", &call.Credentials{User: "trunk", Password: "pw"}},
		{"without credentials", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var calleeAt netip.AddrPort
				r := newSetupRig(t, trustedCallers(), withCallPolicy(func(base call.Policy) call.Policy {
					f := delegate(base)
					f.RouteFunc = func(ctx context.Context, in call.Incoming) (call.Decision, error) {
						u := sip.Uri{Scheme: "sip", User: "7000", Host: calleeAt.Addr().String(), Port: int(calleeAt.Port())}
						return call.Decision{Kind: call.ToSubscriber, Callee: "7000", Sequential: true, // not ToRoute: the PBX maps a route's 401
							Targets: []call.Target{{URI: u, Contact: u, Transport: "udp", Dest: calleeAt.String(), Credentials: tc.creds}}}, nil
					}
					return f
				}))
				callee := r.ua("7000", testua.WithAuto(testua.DefaultAuto&^testua.AutoRinging))
				calleeAt = callee.Local()
				caller := r.ua("1000")
				tx, err := caller.Start(caller.NewInvite("7000", caller.Offer()))
				if err != nil {
					t.Fatal(err)
				}
				invites := func() []*testua.Incoming { return callee.Incoming(testua.Method(sip.INVITE)) }
				if err := callee.Until(r.ctx, func() bool { return len(invites()) == 1 }); err != nil {
					t.Fatal(err)
				}
				first := invites()[0]
				chal := first.NewResponse(401, "Unauthorized")
				chal.AppendHeader(sip.NewHeader("WWW-Authenticate", `Digest realm="carrier", nonce="abc", algorithm=MD5`))
				if err := first.Respond(chal); err != nil {
					t.Fatal(err)
				}
				if tc.creds == nil {
					res, err := tx.Final(r.ctx)
					if err != nil {
						t.Fatal(err)
					}
					synctest.Wait()
					if res.StatusCode != 401 || res.GetHeader("WWW-Authenticate") == nil || len(invites()) != 1 {
						t.Errorf("without credentials: caller got %d (challenge %v), %d INVITEs; want the 401 with its challenge and 1", res.StatusCode, res.GetHeader("WWW-Authenticate"), len(invites()))
					}
					return
				}
				if err := callee.Until(r.ctx, func() bool { return len(invites()) == 2 }); err != nil {
					t.Fatalf("no authenticated INVITE: %v", err)
				}
				second := invites()[1]
				r1, r2 := first.Request(), second.Request()
				auth := r2.GetHeader("Authorization")
				switch {
				case auth == nil:
					t.Fatal("the second INVITE has no Authorization")
				case r2.CallID().Value() != r1.CallID().Value() || r2.CSeq().SeqNo != r1.CSeq().SeqNo+1:
					t.Errorf("Call-ID %s CSeq %d after %s %d: want the same Call-ID and CSeq + 1", r2.CallID().Value(), r2.CSeq().SeqNo, r1.CallID().Value(), r1.CSeq().SeqNo)
				}
				if name, value, err := testua.Credentials(chal, sip.INVITE, r2.Recipient.String(), "trunk", "pw"); err != nil || name != "Authorization" || value != auth.Value() {
					t.Errorf("Authorization %q, want %q (%v)", auth.Value(), value, err)
				}
				ok, err := second.Answer()
				if err != nil {
					t.Fatal(err)
				}
				if _, err := second.RespondUntilAck(r.ctx, ok); err != nil {
					t.Fatal(err)
				}
				res, err := tx.Final(r.ctx)
				if err != nil || res.StatusCode != 200 {
					t.Fatalf("caller: %v %v, want 200", res, err)
				}
				if _, err := tx.Ack(nil); err != nil {
					t.Fatal(err)
				}
				r.bye(tx.Dialog())
			})
		})
	}
}
