package testua_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/leakcheck"
	"pbxlab/internal/testua"
	"pbxlab/pbx"
	"pbxlab/pbx/pbxtest"
)

// TestThroughThePBX drives the real PBX with two test UAs, over UDP and
// TCP: 1001 registers (digest), 1000 calls it (407, then authorized), 1001
// answers and gets the ACK, 1000 hangs up; then a second call is
// CANCELled while ringing.
func TestThroughThePBX(t *testing.T) {
	for _, transport := range []string{"udp", "tcp"} {
		t.Run(transport, func(t *testing.T) {
			leakcheck.Check(t)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			in, err := pbxtest.Start(nil, pbxtest.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer func() {
				if err := in.Close(); err != nil {
					t.Error(err)
				}
			}()
			target := in.UDP
			if transport == "tcp" {
				target = in.TCP
			}
			ua := func(user string) *testua.UA {
				u, err := testua.New(testua.Config{Transport: transport, PBX: target, User: user})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = u.Close() })
				return u
			}
			alice, bob := ua("1000"), ua("1001")
			res, err := bob.Register(ctx, testua.Registration{Password: "demo1001", Expires: 300})
			if err != nil || res.StatusCode != 200 {
				t.Fatalf("REGISTER: %v, %v", res, err)
			}
			if n := len(bob.Received(testua.Status(401))); n != 1 {
				t.Errorf("REGISTER challenged %d times, want 1", n)
			}

			// call 1: answered, ACKed, BYE from the caller
			tx := invite(ctx, t, alice)
			inc, err := bob.AwaitIncoming(ctx, testua.Method(sip.INVITE))
			if err != nil {
				t.Fatal(err)
			}
			// the 180 bob's UA sent is relayed before bob answers
			if _, err := alice.Await(ctx, testua.And(testua.Of(tx.Request()), testua.Status(180))); err != nil {
				t.Fatal(err)
			}
			ok, err := inc.Answer()
			if err != nil {
				t.Fatal(err)
			}
			acked := make(chan error, 1)
			go func() {
				_, err := inc.RespondUntilAck(ctx, ok)
				acked <- err
			}()
			final, err := tx.Final(ctx)
			if err != nil || final.StatusCode != 200 || len(final.Body()) == 0 {
				t.Fatalf("INVITE: %v, %v", final, err)
			}
			if !slices.Contains(testuaCodes(tx.Provisional()), 180) {
				t.Errorf("caller got provisional %v, want a 180", testuaCodes(tx.Provisional()))
			}
			if _, err := tx.Ack(nil); err != nil {
				t.Fatal(err)
			}
			if err := <-acked; err != nil {
				t.Fatalf("callee got no ACK: %v", err)
			}
			if bye, err := tx.Dialog().Bye(ctx); err != nil || bye.StatusCode != 200 {
				t.Fatalf("BYE: %v, %v", bye, err)
			}
			if _, err := bob.AwaitIncoming(ctx, testua.Method(sip.BYE)); err != nil {
				t.Fatal(err)
			}

			// call 2: CANCELled while ringing
			tx = invite(ctx, t, alice)
			if _, err := alice.Await(ctx, testua.And(testua.Of(tx.Request()), testua.Status(180))); err != nil {
				t.Fatal(err)
			}
			c, err := tx.Cancel()
			if err != nil {
				t.Fatal(err)
			}
			if r, err := c.Final(ctx); err != nil || r.StatusCode != 200 {
				t.Fatalf("CANCEL: %v, %v", r, err)
			}
			if r, err := tx.Final(ctx); err != nil || r.StatusCode != 487 {
				t.Fatalf("cancelled INVITE: %v, %v", r, err)
			}
			inc2, err := bob.AwaitIncoming(ctx, testua.Method(sip.INVITE))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := inc2.AwaitCancel(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := inc2.AwaitAck(ctx); err != nil {
				t.Fatalf("PBX did not ACK the callee's 487: %v", err)
			}
			for {
				recs, err := in.ListCDRs(ctx, pbx.CDRFilter{})
				if err == nil && len(recs) == 2 && recs[0].Disposition == pbx.Answered && recs[1].Disposition != pbx.InProgress {
					break
				}
				select {
				case <-ctx.Done():
					t.Fatalf("CDRs %+v, %v", recs, err)
				case <-time.After(20 * time.Millisecond):
				}
			}
		})
	}
}

// invite sends an INVITE with SDP from u to 1001, answers the PBX's 407
// (which u ACKs by itself) and returns the authorized INVITE's transaction.
func invite(ctx context.Context, t *testing.T, u *testua.UA) *testua.ClientTx {
	t.Helper()
	req := u.NewInvite("1001", u.Offer())
	res, err := u.Do(ctx, req)
	if err != nil || res.StatusCode != 407 {
		t.Fatalf("unauthenticated INVITE: %v, %v", res, err)
	}
	if n := len(u.Sent(testua.And(testua.Method(sip.ACK), testua.Of(req)))); n != 1 {
		t.Fatalf("407 ACKed %d times, want once in its transaction", n)
	}
	auth, err := testua.Authorize(req, res, "1000", "demo1000")
	if err != nil {
		t.Fatal(err)
	}
	tx, err := u.Start(auth)
	if err != nil {
		t.Fatal(err)
	}
	return tx
}

func testuaCodes(rs []*sip.Response) []int {
	var out []int
	for _, r := range rs {
		out = append(out, r.StatusCode)
	}
	return out
}
