package testua

import (
	"context"
	"errors"
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
