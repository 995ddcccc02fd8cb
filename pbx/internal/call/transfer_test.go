package call_test

import (
	"bytes"
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/testua"
	"pbxlab/pbx/internal/call"
)

// transferRig is a setup rig whose REFERs start a blind transfer of the
// other party to 1002 (the policy's part done by hand); outcome gets the
// final status Progress reports.
func transferRig(t *testing.T, ring time.Duration) (*setupRig, chan int) {
	outcome := make(chan int, 1)
	r := newSetupRig(t, trustedCallers(), withCallPolicy(func(base call.Policy) call.Policy {
		return referHook(base, func(ctx context.Context, in call.InDialogRequest) {
			targets, err := targetsOf(ctx, base, "1002")
			if err != nil || len(targets) == 0 {
				outcome <- -1
				return
			}
			err = in.Call.Transfer(call.BlindTransfer{From: in.Leg, Stay: in.Leg.Other(), Targets: targets,
				Caller: "1001", Callee: "1002", Ring: ring,
				Progress: func(code int, _ string, final bool) {
					if final {
						outcome <- code
					}
				}})
			if err != nil {
				outcome <- -2
			}
		})
	}))
	return r, outcome
}

func sendRefer(r *setupRig, tx *testua.ClientTx) {
	r.t.Helper()
	refer := tx.Dialog().NewRequest(sip.REFER)
	refer.AppendHeader(sip.NewHeader("Refer-To", "<sip:1002@"+r.h.Addr.String()+">"))
	rtx, err := tx.Dialog().Start(refer)
	if err != nil {
		r.t.Fatal(err)
	}
	if res := r.final(rtx); res.StatusCode != 202 {
		r.t.Fatalf("REFER: %d", res.StatusCode)
	}
}

// TestTransferMechanismAnswered: C is called without an offer; its 2xx
// offer goes to B in a re-INVITE and B's answer to C in the ACK; Progress
// says 200. The transferor is not BYEd by the mechanism (the policy does
// that after its NOTIFY).
func TestTransferMechanismAnswered(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r, outcome := transferRig(t, 0)
		a, b, cc := r.ua("1000"), r.callee("1001"), r.callee("1002")
		tx, _ := r.establish(a, b, "1001")
		sendRefer(r, tx)
		inC := r.incoming(cc, testua.Method(sip.INVITE))
		if len(inC.Request().Body()) != 0 {
			t.Fatalf("C's INVITE carries an offer")
		}
		if f := inC.Request().From().Address.User; f != "1001" {
			t.Errorf("C sees %q calling, want the transferee 1001", f)
		}
		offerC, err := inC.Answer()
		if err != nil {
			t.Fatal(err)
		}
		r.respond(inC, offerC)
		toB := r.incoming(b, testua.And(testua.Method(sip.INVITE), inDialog()))
		if !bytes.Equal(toB.Request().Body(), offerC.Body()) {
			t.Errorf("B's re-INVITE carries %q, want C's offer", toB.Request().Body())
		}
		r.answer(toB)
		if _, err := inC.AwaitAck(r.ctx); err != nil {
			t.Fatalf("C's 2xx never ACKed: %v", err)
		}
		if code := awaitValue(r, outcome); code != 200 {
			t.Fatalf("transfer outcome %d, want 200", code)
		}
		synctest.Wait()
		if n := len(a.Incoming(testua.Method(sip.BYE))); n != 0 {
			t.Errorf("the mechanism BYEd the transferor")
		}
	})
}

// TestTransferMechanismFails: a busy target, and one that rings past the
// transfer's ring time (virtual time: it is cancelled), fail the transfer
// with 486 and 408; B is never re-INVITEd.
func TestTransferMechanismFails(t *testing.T) {
	for _, tc := range []struct {
		name string
		busy bool
		want int
	}{{"busy", true, 486}, {"no-answer", false, 408}} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				r, outcome := transferRig(t, 5*time.Second)
				a, b, cc := r.ua("1000"), r.callee("1001"), r.callee("1002")
				tx, _ := r.establish(a, b, "1001")
				sendRefer(r, tx)
				inC := r.incoming(cc, testua.Method(sip.INVITE))
				if tc.busy {
					if err := inC.Reply(486, "Busy Here"); err != nil {
						t.Fatal(err)
					}
				} else {
					if err := inC.Reply(180, "Ringing"); err != nil {
						t.Fatal(err)
					}
					if _, err := inC.AwaitCancel(r.ctx); err != nil {
						t.Fatalf("no CANCEL after the ring time: %v", err)
					}
					if err := inC.Reply(487, "Request Terminated"); err != nil {
						t.Fatal(err)
					}
				}
				if code := awaitValue(r, outcome); code != tc.want {
					t.Fatalf("transfer outcome %d, want %d", code, tc.want)
				}
				synctest.Wait()
				if n := len(b.Incoming(testua.And(testua.Method(sip.INVITE), inDialog()))); n != 0 {
					t.Errorf("B was re-INVITEd %d times after a failed transfer", n)
				}
			})
		})
	}
}
