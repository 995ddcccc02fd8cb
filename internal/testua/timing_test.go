package testua

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/emiago/sipgo/sip"
)

// offsets returns each record's time after the first one's.
func offsets(rs []*Record) []time.Duration {
	var out []time.Duration
	for _, r := range rs {
		out = append(out, r.At.Sub(rs[0].At))
	}
	return out
}

func ms(v ...int) []time.Duration {
	var out []time.Duration
	for _, x := range v {
		out = append(out, time.Duration(x)*time.Millisecond)
	}
	return out
}

// TestRetransmitted2xxArrivalTimes: in virtual time (testing/synctest over
// an in-memory network) bob retransmits his 200 at T1, 2*T1, 4*T1, T2, ...
// until alice ACKs; alice records each copy with its arrival time, and
// her UA re-sends the ACK when a copy arrives after it (AutoReAck).
func TestRetransmitted2xxArrivalTimes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		alice, bob := memPair(t, nil, []Option{WithTimers(500*time.Millisecond, 2*time.Second)})
		tx, err := alice.Start(alice.NewInvite("bob", alice.Offer()))
		if err != nil {
			t.Fatal(err)
		}
		inc, err := bob.AwaitIncoming(ctx, Method(sip.INVITE))
		if err != nil {
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
		time.Sleep(6 * time.Second) // 200s at 0, 0.5, 1.5, 3.5, 5.5
		synctest.Wait()
		oks := alice.Received(And(Status(200), CallID(callIDOf(tx.Request()))))
		if got, want := offsets(oks), ms(0, 500, 1500, 3500, 5500); !slices.Equal(got, want) {
			t.Fatalf("200 arrivals %v, want %v", got, want)
		}
		if _, err := tx.Ack(nil); err != nil {
			t.Fatal(err)
		}
		if err := <-acked; err != nil {
			t.Fatal(err)
		}
		if n := len(alice.Sent(Method(sip.ACK))); n != 1 {
			t.Errorf("%d ACKs sent, want 1", n)
		}
		// A late copy of the 200 (the ACK was lost) is ACKed again.
		if err := bob.Send(ok); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if n := len(alice.Sent(Method(sip.ACK))); n != 2 {
			t.Errorf("%d ACKs sent after a retransmitted 200, want 2", n)
		}
	})
}

// TestNoAckGivesUpAfter64T1: a 200 never ACKed is retransmitted until
// 64*T1, then RespondUntilAck fails with ErrNoAck.
func TestNoAckGivesUpAfter64T1(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		alice, bob := memPair(t, nil, []Option{WithTimers(100*time.Millisecond, 400*time.Millisecond)})
		tx, err := alice.Start(alice.NewInvite("bob", alice.Offer()))
		if err != nil {
			t.Fatal(err)
		}
		inc, err := bob.AwaitIncoming(t.Context(), Method(sip.INVITE))
		if err != nil {
			t.Fatal(err)
		}
		ok, _ := inc.Answer()
		start := time.Now()
		if _, err := inc.RespondUntilAck(t.Context(), ok); !errors.Is(err, ErrNoAck) {
			t.Fatalf("RespondUntilAck: %v", err)
		}
		if d := time.Since(start); d != 6400*time.Millisecond {
			t.Errorf("gave up after %s, want 64*T1", d)
		}
		synctest.Wait()
		// 0, .1, .3, .7, 1.1, ... 6.3: 1 + 3 + (6.3-0.7)/0.4 = 18 copies
		if n := len(alice.Received(And(Status(200), CallID(callIDOf(tx.Request()))))); n != 18 {
			t.Errorf("%d copies of the 200, want 18", n)
		}
	})
}

// TestTimersAAndE: with WithRetransmit an unanswered INVITE is resent at
// T1 doubling (timer A) and an OPTIONS at T1 doubling up to T2 (timer E),
// both until 64*T1; a provisional response stops timer A.
func TestTimersAAndE(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		alice, bob := memPair(t, []Option{WithRetransmit()}, []Option{WithAuto(0)})
		inv, err := alice.Start(alice.NewInvite("bob", nil))
		if err != nil {
			t.Fatal(err)
		}
		opt, err := alice.Start(alice.NewRequest(sip.OPTIONS, "bob"))
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(40 * time.Second)
		synctest.Wait()
		if got, want := offsets(alice.Sent(Of(inv.Request()))), ms(0, 500, 1500, 3500, 7500, 15500, 31500); !slices.Equal(got, want) {
			t.Errorf("INVITE sent at %v, want %v", got, want)
		}
		want := ms(0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500)
		if got := offsets(alice.Sent(Of(opt.Request()))); !slices.Equal(got, want) {
			t.Errorf("OPTIONS sent at %v, want %v", got, want)
		}
		if n := len(bob.Received(Method(sip.INVITE))); n != 7 {
			t.Errorf("bob received %d copies of the INVITE, want 7", n)
		}

		inv2, err := alice.Start(alice.NewInvite("bob", nil))
		if err != nil {
			t.Fatal(err)
		}
		in, err := bob.AwaitIncoming(t.Context(), CallID(callIDOf(inv2.Request())))
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second) // one retransmission at 0.5 s
		if err := in.Reply(100, "Trying"); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Second)
		synctest.Wait()
		if n := len(alice.Sent(Of(inv2.Request()))); n != 2 {
			t.Errorf("INVITE sent %d times, want 2 (a 100 stops timer A)", n)
		}
		if n := len(in.Copies()); n != 2 {
			t.Errorf("bob's Incoming has %d copies, want 2", n)
		}
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		if _, err := inv2.Final(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Final with no final response: %v", err)
		}
	})
}

// TestUASTransactions plays the PBX's side against DefaultAuto: a
// retransmitted INVITE gets the same 180 again (same To tag), a CANCEL
// gets 200 then 487 with the 180's To tag, a CANCEL matching nothing gets
// 481, and a 486 the test sends with RespondUntilAck is retransmitted
// (timer G) until its ACK.
func TestUASTransactions(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		pbx, phone := memPair(t, []Option{WithAuto(0)}, nil)
		inv := pbx.NewInvite("phone", pbx.Offer())
		if err := pbx.Send(inv); err != nil {
			t.Fatal(err)
		}
		if err := pbx.Send(inv); err != nil { // retransmission
			t.Fatal(err)
		}
		synctest.Wait()
		rings := pbx.Received(Status(180))
		if len(rings) != 2 || !bytes.Equal(rings[0].Raw, rings[1].Raw) {
			t.Fatalf("180s %v, want the same 180 twice", rings)
		}
		tag, _ := rings[0].Response().To().Params.Get("tag")
		cancel := pbx.NewRequest(sip.CANCEL, "phone")
		for _, name := range []string{"Via", "From", "To", "Call-ID"} {
			cancel.RemoveHeader(name)
		}
		cancel.PrependHeader(inv.Via().Clone())
		cancel.AppendHeader(sip.HeaderClone(inv.From()))
		cancel.AppendHeader(sip.HeaderClone(inv.To()))
		cancel.AppendHeader(sip.HeaderClone(inv.CallID()))
		if err := pbx.Send(cancel); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		var got []string
		for _, r := range pbx.Received(Final()) {
			res := r.Response()
			tt, _ := res.To().Params.Get("tag")
			got = append(got, fmt.Sprintf("%d %s %v", res.StatusCode, res.CSeq().MethodName, tt == tag))
		}
		if want := []string{"200 CANCEL true", "487 INVITE true"}; !slices.Equal(got, want) {
			t.Errorf("after CANCEL: %v, want %v", got, want)
		}
		in, err := phone.AwaitIncoming(ctx, Method(sip.INVITE))
		if err != nil || in.Cancel() == nil || len(in.Copies()) != 2 {
			t.Fatalf("phone's INVITE %v (%v)", in, err)
		}

		stray := pbx.NewRequest(sip.CANCEL, "phone")
		if err := pbx.Send(stray); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if rs := pbx.Received(And(Of(stray), Final())); len(rs) != 1 || rs[0].Response().StatusCode != 481 {
			t.Errorf("stray CANCEL answered %v", rs)
		}

		inv2 := pbx.NewInvite("phone", pbx.Offer())
		if err := pbx.Send(inv2); err != nil {
			t.Fatal(err)
		}
		in2, err := phone.AwaitIncoming(ctx, CallID(callIDOf(inv2)))
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() {
			_, err := in2.RespondUntilAck(ctx, in2.NewResponse(486, "Busy Here"))
			done <- err
		}()
		time.Sleep(1200 * time.Millisecond) // 486 at 0, 0.5 s, 1.5 s: two copies by now
		synctest.Wait()
		busy := pbx.Received(And(Of(inv2), Status(486)))
		if got, want := offsets(busy), ms(0, 500); !slices.Equal(got, want) {
			t.Errorf("486 at %v, want %v", got, want)
		}
		if err := pbx.Send(NonSuccessAck(inv2, busy[0].Response())); err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	})
}
