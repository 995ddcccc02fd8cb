package phone

import (
	"errors"
	"testing"
	"time"
)

func TestCallAnsweredWithTwoWayAudio(t *testing.T) {
	checkLeaks(t)
	ctx := testCtx(t, 15*time.Second)
	agentA := newTestAgent(t, Config{})
	agentB := newTestAgent(t, Config{})
	a := newTestPhone(t, agentA, PhoneConfig{Number: "1000"})
	b, inc := callee(t, agentB, "1001", AnswerMode{Behaviour: Answer, Delay: 100 * time.Millisecond})

	call, in := answered(t, ctx, a, b, inc)
	if in.Remote() != "1000" || in.Direction() != Incoming || call.Direction() != Outgoing {
		t.Fatalf("incoming call from %q dir %s", in.Remote(), in.Direction())
	}
	if !containsCode(call.Provisional(), 180) || call.Code() != 200 {
		t.Fatalf("provisional %v final %d", call.Provisional(), call.Code())
	}
	if setup, ok := call.SetupTime(); !ok || setup <= 0 {
		t.Fatalf("setup time %v %v", setup, ok)
	}
	if ring, ok := call.RingTime(); !ok || ring <= 0 {
		t.Fatalf("ring time %v %v", ring, ok)
	}

	for !in.Acked() { // the caller ACKs the 2xx (RFC 3261 §13.2.2.4)
		select {
		case <-ctx.Done():
			t.Fatal("the callee never saw the ACK of its 200")
		case <-time.After(5 * time.Millisecond):
		}
	}
	if call.Acked() {
		t.Error("Acked on the outgoing call, want it only on the incoming one")
	}

	audioCtx := testCtx(t, 5*time.Second)
	tw, err := VerifyTwoWay(audioCtx, call, in)
	if err != nil || !tw.OK() {
		t.Fatalf("two-way audio failed: %v %+v", err, tw)
	}
	if tw.A.Expected != b.Identity() || tw.B.Expected != a.Identity() || tw.A.Own != a.Identity() || tw.A.Stats.PacketsIn == 0 || tw.B.Stats.PacketsOut == 0 {
		t.Fatalf("audio result %+v", tw)
	}

	if err := call.Hangup(ctx); err != nil {
		t.Fatalf("Hangup: %v", err)
	}
	endB, err := in.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantEnd(t, "caller", call.End(), Local, ReasonBye, 200)
	wantEnd(t, "callee", endB, Remote, ReasonBye, 200)
	if agentA.Calls() != 0 || len(b.Calls()) != 0 {
		t.Fatalf("calls left: %d %d", agentA.Calls(), len(b.Calls()))
	}
}

func TestCalleeHangsUp(t *testing.T) {
	checkLeaks(t)
	ctx := testCtx(t, 10*time.Second)
	agentA := newTestAgent(t, Config{})
	agentB := newTestAgent(t, Config{})
	a := newTestPhone(t, agentA, PhoneConfig{Number: "1000"})
	b, inc := callee(t, agentB, "1001", AnswerMode{Behaviour: Answer})

	call, in := answered(t, ctx, a, b, inc)
	if err := in.Hangup(ctx); err != nil {
		t.Fatalf("callee Hangup: %v", err)
	}
	end, err := call.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantEnd(t, "caller", end, Remote, ReasonBye, 200)
	wantEnd(t, "callee", in.End(), Local, ReasonBye, 200)
}

func TestCallRefused(t *testing.T) {
	tests := []struct {
		name      string
		behaviour Behaviour
		code      int
	}{
		{"busy", Busy, 486},
		{"reject", Reject, 603},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkLeaks(t)
			ctx := testCtx(t, 10*time.Second)
			agentA := newTestAgent(t, Config{})
			agentB := newTestAgent(t, Config{})
			a := newTestPhone(t, agentA, PhoneConfig{Number: "2000"})
			b, inc := callee(t, agentB, "2001", AnswerMode{Behaviour: tc.behaviour})

			call, err := a.DialURI(ctx, b.Contact())
			if err != nil {
				t.Fatal(err)
			}
			err = call.WaitAnswer(ctx)
			if !errors.Is(err, ErrRejected) || StatusCode(err) != tc.code {
				t.Fatalf("WaitAnswer = %v, want status %d", err, tc.code)
			}
			end, err := call.Wait(ctx)
			if err != nil {
				t.Fatal(err)
			}
			wantEnd(t, "caller", end, Remote, ReasonStatus, tc.code)
			in := incoming(t, ctx, inc)
			endB, err := in.Wait(ctx)
			if err != nil {
				t.Fatal(err)
			}
			wantEnd(t, "callee", endB, Local, ReasonStatus, tc.code)
			if _, ok := call.SetupTime(); ok {
				t.Fatal("refused call has a setup time")
			}
			if err := call.Hangup(ctx); err != nil {
				t.Fatalf("Hangup after end: %v", err)
			}
		})
	}
}

func TestNeverAnswerThenCancel(t *testing.T) {
	checkLeaks(t)
	ctx := testCtx(t, 10*time.Second)
	agentA := newTestAgent(t, Config{})
	agentB := newTestAgent(t, Config{})
	a := newTestPhone(t, agentA, PhoneConfig{Number: "3000"})
	b, inc := callee(t, agentB, "3001", AnswerMode{Behaviour: NoAnswer})

	call, err := a.DialURI(ctx, b.Contact())
	if err != nil {
		t.Fatal(err)
	}
	if err := call.WaitRinging(ctx); err != nil {
		t.Fatal(err)
	}
	if call.State() != Early {
		t.Fatalf("state %s, want early", call.State())
	}
	in := incoming(t, ctx, inc)
	if err := call.Hangup(ctx); err != nil {
		t.Fatalf("Hangup (CANCEL): %v", err)
	}
	wantEnd(t, "caller", call.End(), Local, ReasonCancel, 487)
	if err := call.WaitAnswer(ctx); !errors.Is(err, ErrRejected) || StatusCode(err) != 487 {
		t.Fatalf("WaitAnswer after cancel = %v", err)
	}
	endB, err := in.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantEnd(t, "callee", endB, Remote, ReasonCancel, 487)
}

func TestEarlyMedia(t *testing.T) {
	checkLeaks(t)
	ctx := testCtx(t, 15*time.Second)
	agentA := newTestAgent(t, Config{})
	agentB := newTestAgent(t, Config{})
	a := newTestPhone(t, agentA, PhoneConfig{Number: "4000"})
	b, inc := callee(t, agentB, "4001", AnswerMode{Behaviour: Manual, EarlyMedia: true})

	call, err := a.DialURI(ctx, b.Contact())
	if err != nil {
		t.Fatal(err)
	}
	if err := call.WaitRinging(ctx); err != nil {
		t.Fatal(err)
	}
	if !containsCode(call.Provisional(), 183) || !call.EarlyMedia() {
		t.Fatalf("provisional %v early %v", call.Provisional(), call.EarlyMedia())
	}
	// The caller hears the callee's tone before the answer.
	res, err := call.TwoWayAudio(testCtx(t, 5*time.Second))
	if err != nil || !res.Heard {
		t.Fatalf("early media not heard: %v %+v", err, res)
	}
	if call.State() != Early {
		t.Fatalf("state %s before answer", call.State())
	}
	in := incoming(t, ctx, inc)
	if err := in.Answer(ctx); err != nil {
		t.Fatalf("Answer: %v", err)
	}
	if err := call.WaitAnswer(ctx); err != nil {
		t.Fatal(err)
	}
	if tw, err := VerifyTwoWay(testCtx(t, 5*time.Second), call, in); err != nil {
		t.Fatalf("two-way after early media: %v %+v", err, tw)
	}
	if err := call.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := in.Wait(ctx); err != nil {
		t.Fatal(err)
	}
}

// A muted leg must make the two-way check fail: the check is not a formality.
func TestMutedLegFailsTwoWayAudio(t *testing.T) {
	checkLeaks(t)
	ctx := testCtx(t, 15*time.Second)
	agentA := newTestAgent(t, Config{})
	agentB := newTestAgent(t, Config{})
	a := newTestPhone(t, agentA, PhoneConfig{Number: "5000"})
	inc := make(chan *Call, 1)
	b := newTestPhone(t, agentB, PhoneConfig{Number: "5001", Mute: true, OnIncoming: func(c *Call) { inc <- c }})

	call, in := answered(t, ctx, a, b, inc)
	tw, err := VerifyTwoWay(testCtx(t, 1500*time.Millisecond), call, in)
	if err == nil || tw.OK() {
		t.Fatalf("two-way audio passed with a muted leg: %+v", tw)
	}
	if !errors.Is(err, ErrNotHeard) {
		t.Fatalf("error %v is not ErrNotHeard", err)
	}
	// the muted callee sends RTP (silence, as a real phone): the caller gets
	// packets but must not hear anyone in them
	if tw.A.Heard || tw.A.Stats.PacketsIn == 0 || tw.A.Detail.Reason != "silence" {
		t.Fatalf("caller heard a muted callee, or got no silence from it: %+v", tw.A)
	}
	if !tw.B.Heard {
		t.Fatalf("muted callee should still hear the caller: %+v", tw.B)
	}
	if err := call.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestPhonesOnOneAgentCallEachOther(t *testing.T) {
	checkLeaks(t)
	ctx := testCtx(t, 15*time.Second)
	ag := newTestAgent(t, Config{})
	a := newTestPhone(t, ag, PhoneConfig{Number: "6000"})
	b, inc := callee(t, ag, "6001", AnswerMode{Behaviour: Answer})

	call, in := answered(t, ctx, a, b, inc)
	if in.CallID() != call.CallID() {
		t.Fatalf("call ids differ: %s %s", in.CallID(), call.CallID())
	}
	if tw, err := VerifyTwoWay(testCtx(t, 5*time.Second), call, in); err != nil {
		t.Fatalf("two-way: %v %+v", err, tw)
	}
	if err := in.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	if end, err := call.Wait(ctx); err != nil || end.By != Remote || end.Reason != ReasonBye {
		t.Fatalf("caller end %+v %v", end, err)
	}
}

func TestCloseEndsCalls(t *testing.T) {
	checkLeaks(t)
	ctx := testCtx(t, 10*time.Second)
	agentA := newTestAgent(t, Config{})
	agentB, err := NewAgent(Config{LocalIP: loopback})
	if err != nil {
		t.Fatal(err)
	}
	a := newTestPhone(t, agentA, PhoneConfig{Number: "7000"})
	b, inc := callee(t, agentB, "7001", AnswerMode{Behaviour: NoAnswer})
	call, err := a.DialURI(ctx, b.Contact())
	if err != nil {
		t.Fatal(err)
	}
	if err := call.WaitRinging(ctx); err != nil {
		t.Fatal(err)
	}
	in := incoming(t, ctx, inc)
	if err := agentB.Close(); err != nil {
		t.Fatal(err)
	}
	if got := in.End(); got.Reason != ReasonClosed {
		t.Fatalf("callee end %+v", got)
	}
	if _, err := b.Dial(ctx, "7000"); !errors.Is(err, ErrNoTarget) {
		t.Fatalf("Dial without target = %v", err)
	}
	// The CANCEL gets no answer from a closed agent: Hangup gives up with its context.
	if err := call.Hangup(testCtx(t, 300*time.Millisecond)); err == nil {
		t.Fatal("Hangup towards a closed agent reported success")
	}
}

func TestDialURIRejectsGarbage(t *testing.T) {
	checkLeaks(t)
	ag := newTestAgent(t, Config{})
	p := newTestPhone(t, ag, PhoneConfig{Number: "8000"})
	for _, uri := range []string{"", "tel:+123", "sip:", "not a uri"} {
		if _, err := p.DialURI(testCtx(t, time.Second), uri); !errors.Is(err, ErrBadURI) {
			t.Errorf("DialURI(%q) = %v, want ErrBadURI", uri, err)
		}
	}
	if _, err := ag.NewPhone(PhoneConfig{Number: "8000"}); !errors.Is(err, ErrDuplicateNumber) {
		t.Errorf("duplicate phone: %v", err)
	}
}

func TestCallOverTCP(t *testing.T) {
	checkLeaks(t)
	ctx := testCtx(t, 15*time.Second)
	agentA := newTestAgent(t, Config{Transport: TCP})
	agentB := newTestAgent(t, Config{Transport: TCP})
	a := newTestPhone(t, agentA, PhoneConfig{Number: "9000"})
	b, inc := callee(t, agentB, "9001", AnswerMode{Behaviour: Answer, Delay: 50 * time.Millisecond})
	mustContain(t, b.Contact(), "transport=tcp")

	call, in := answered(t, ctx, a, b, inc)
	if tw, err := VerifyTwoWay(testCtx(t, 5*time.Second), call, in); err != nil {
		t.Fatalf("two-way over TCP: %v %+v", err, tw)
	}
	if err := call.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	if end, err := in.Wait(ctx); err != nil || end.Reason != ReasonBye {
		t.Fatalf("callee end %+v %v", end, err)
	}
}

// A callee that hangs up the moment Answer returns sends BYE, not an error:
// Answer reports the call answered before the 2xx is written, and the BYE
// waits for it (a features run failed with sipgo's "can not send bye on
// NON success response" here).
func TestCalleeHangsUpRightAfterAnswer(t *testing.T) {
	checkLeaks(t)
	ctx := testCtx(t, 30*time.Second)
	agentA := newTestAgent(t, Config{})
	agentB := newTestAgent(t, Config{})
	a := newTestPhone(t, agentA, PhoneConfig{Number: "4100"})
	b, inc := callee(t, agentB, "4101", AnswerMode{Behaviour: Manual})
	for i := range 40 {
		call, err := a.DialURI(ctx, b.Contact())
		if err != nil {
			t.Fatal(err)
		}
		in := incoming(t, ctx, inc)
		if err := in.Answer(ctx); err != nil {
			t.Fatalf("call %d: Answer: %v", i, err)
		}
		if err := in.Hangup(ctx); err != nil {
			t.Fatalf("call %d: Hangup right after Answer: %v", i, err)
		}
		end, err := call.Wait(ctx)
		if err != nil {
			t.Fatal(err)
		}
		wantEnd(t, "caller", end, Remote, ReasonBye, 200)
		if got := in.End(); got.Err != nil {
			t.Fatalf("call %d: callee ended with %v", i, got.Err)
		}
	}
}
