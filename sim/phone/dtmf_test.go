package phone

import (
	"context"
	"errors"
	"testing"
	"time"

	"pbxlab/internal/sdpneg"
)

// TestSendDTMF: digits sent by one phone arrive at the other as
// telephone-events, both ways, in order; a phone that does not offer
// telephone-event cannot send and receives nothing.
func TestSendDTMF(t *testing.T) {
	checkLeaks(t)
	ctx := testCtx(t, 15*time.Second)
	agentA := newTestAgent(t, Config{})
	agentB := newTestAgent(t, Config{})
	a := newTestPhone(t, agentA, PhoneConfig{Number: "1000"})
	b, inc := callee(t, agentB, "1001", AnswerMode{Behaviour: Answer})
	call, in := answered(t, ctx, a, b, inc)

	if err := call.SendDTMF(ctx, "12*#"); err != nil {
		t.Fatal(err)
	}
	if got, err := in.WaitDigits(ctx, 4); err != nil || got != "12*#" {
		t.Fatalf("callee received %q, %v", got, err)
	}
	if err := in.SendDTMF(ctx, "9D"); err != nil {
		t.Fatal(err)
	}
	if got, err := call.WaitDigits(ctx, 2); err != nil || got != "9D" {
		t.Fatalf("caller received %q, %v", got, err)
	}
	if got := in.Digits(); got != "12*#" {
		t.Fatalf("callee's digits changed to %q", got)
	}
	if err := call.SendDTMF(ctx, "5x"); err == nil {
		t.Fatal("digit x accepted")
	}
	hangup(t, ctx, call, in)

	// Without telephone-event on one side, nothing is negotiated.
	c := newTestPhone(t, agentA, PhoneConfig{Number: "1002", Codecs: []sdpneg.Codec{sdpneg.PCMU()}})
	call, in = answered(t, ctx, c, b, inc)
	if err := call.SendDTMF(ctx, "1"); !errors.Is(err, ErrNoDTMF) {
		t.Fatalf("caller without telephone-event: %v", err)
	}
	if err := in.SendDTMF(ctx, "1"); !errors.Is(err, ErrNoDTMF) {
		t.Fatalf("callee whose caller has no telephone-event: %v", err)
	}
	hangup(t, ctx, call, in)
}

// hangup ends an answered call from the caller's side and waits for both legs.
func hangup(t *testing.T, ctx context.Context, call, in *Call) {
	t.Helper()
	if err := call.Hangup(ctx); err != nil {
		t.Fatalf("Hangup: %v", err)
	}
	if _, err := in.Wait(ctx); err != nil {
		t.Fatal(err)
	}
}
