package call_test

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/pbx"
	"pbxlab/pbx/internal/call"
	"pbxlab/pbx/internal/sipx"
	"pbxlab/pbx/pbxtest/vnet"
	"pbxlab/sim/phone"
)

// Fast flow tests of the call layer's hook points: the real PBX and
// signalling-only simulated phones on an in-memory network in a synctest
// bubble (virtual time). Each fake hook changes what happens on the wire.

// withPolicy starts a virtual PBX whose call Policy is wrap(the PBX's own).
func withPolicy(t *testing.T, wrap func(base call.Policy) call.Policy) *vnet.Harness {
	t.Helper()
	return start(t, vnet.WithPBXOptions(pbx.WithCallOptions(call.WrapPolicy(wrap))))
}

// start is vnet.Start whose cleanup first lets the bubble go idle: a phone
// still answering a request when its socket closes would make sipgo open a
// real socket, which stops virtual time.
func start(t *testing.T, opts ...vnet.Option) *vnet.Harness {
	t.Helper()
	return vnet.Start(t, nil, append([]vnet.Option{vnet.WithSettle(synctest.Wait)}, opts...)...)
}

// delegate is a Funcs that passes every hook to base; tests replace one.
func delegate(base call.Policy) call.Funcs {
	return call.Funcs{
		ClassifyFunc: base.Classify, RouteFunc: base.Route, OnFailureFunc: base.OnFailure,
		OnAnswerFunc: base.OnAnswer, InDialogFunc: base.InDialog, OnHangupFunc: base.OnHangup,
	}
}

// dialCode dials number from p and returns the INVITE's final status.
func dialCode(t *testing.T, p *vnet.Phone, number string) (*phone.Call, int) {
	t.Helper()
	c, err := p.Dial(t.Context(), number)
	if err != nil {
		t.Fatal(err)
	}
	_ = c.WaitAnswer(t.Context())
	return c, c.Code()
}

func TestHookClassifyRefuses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := withPolicy(t, func(base call.Policy) call.Policy {
			f := delegate(base)
			f.ClassifyFunc = func(ctx context.Context, req *sip.Request) (call.Caller, error) {
				if _, err := base.Classify(ctx, req); err != nil {
					return call.Caller{}, err // the digest challenge still comes first
				}
				return call.Caller{}, sipx.Status(403, "Outgoing Calls Barred")
			}
			return f
		})
		a, b := h.Phone("1000"), h.Phone("1001")
		if _, code := dialCode(t, a, "1001"); code != 403 {
			t.Fatalf("classified-out caller got %d, want 403", code)
		}
		assertNoIncoming(t, b)
	})
}

func TestHookRouteDecisions(t *testing.T) {
	t.Run("reject with cause", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			h := withPolicy(t, func(base call.Policy) call.Policy {
				f := delegate(base)
				f.RouteFunc = func(context.Context, call.Incoming) (call.Decision, error) {
					return call.Decision{Kind: call.Reject, Err: sipx.Status(403, "Call Barred", sip.NewHeader("Reason", "Q.850;cause=21"))}, nil
				}
				return f
			})
			a, b := h.Phone("1000"), h.Phone("1001")
			if _, code := dialCode(t, a, "1001"); code != 403 {
				t.Fatalf("got %d, want the decision's 403", code)
			}
			assertNoIncoming(t, b)
			if recs := cdrs(t, h); len(recs) != 1 || recs[0].Cause != 403 || recs[0].Reason != "Call Barred" {
				t.Fatalf("CDRs %+v", recs)
			}
		})
	})
	t.Run("route elsewhere", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			h := withPolicy(t, func(base call.Policy) call.Policy {
				f := delegate(base)
				f.RouteFunc = func(ctx context.Context, in call.Incoming) (call.Decision, error) {
					in.Dialled = "1002" // every call goes to 1002 (a night service)
					return base.Route(ctx, in)
				}
				return f
			})
			a, b, other := h.Phone("1000"), h.Phone("1001"), h.Phone("1002")
			if _, code := dialCode(t, a, "1001"); code != 200 {
				t.Fatalf("got %d, want 200 from 1002", code)
			}
			if _, err := other.NextIncoming(t.Context()); err != nil {
				t.Fatal(err)
			}
			assertNoIncoming(t, b)
		})
	})
	t.Run("sequential hunt with per-member ring time", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			h := withPolicy(t, func(base call.Policy) call.Policy {
				f := delegate(base)
				f.RouteFunc = func(ctx context.Context, in call.Incoming) (call.Decision, error) {
					if in.Dialled != "5000" {
						return base.Route(ctx, in)
					}
					var targets []call.Target
					for _, n := range []string{"1001", "1002"} {
						d, err := base.Route(ctx, call.Incoming{Caller: in.Caller, Dialled: n, Request: in.Request})
						if err != nil {
							return d, err
						}
						for _, tg := range d.Targets {
							tg.Ring = 10 * time.Second
							targets = append(targets, tg)
						}
					}
					return call.Decision{Kind: call.ToGroup, Callee: "5000", Targets: targets, Sequential: true}, nil
				}
				return f
			})
			a := h.Phone("1000")
			first := h.Phone("1001", vnet.Answer(phone.AnswerMode{Behaviour: phone.NoAnswer}))
			second := h.Phone("1002", vnet.Answer(phone.AnswerMode{Behaviour: phone.Answer, Delay: 3 * time.Second}))
			start := time.Now()
			c, code := dialCode(t, a, "5000")
			if code != 200 {
				t.Fatalf("hunt group answered %d, want 200", code)
			}
			if took := time.Since(start); took != 13*time.Second {
				t.Errorf("answered after %v, want 10 s on 1001 then 3 s on 1002", took)
			}
			rang, err := first.NextIncoming(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if end, err := rang.Wait(t.Context()); err != nil || end.Reason != phone.ReasonCancel {
				t.Errorf("first member end %+v, %v; want CANCEL after its ring time", end, err)
			}
			if _, err := second.NextIncoming(t.Context()); err != nil {
				t.Fatal(err)
			}
			_ = c.Hangup(t.Context())
		})
	})
	t.Run("service takes the call", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			h := withPolicy(t, func(base call.Policy) call.Policy {
				f := delegate(base)
				f.RouteFunc = func(ctx context.Context, in call.Incoming) (call.Decision, error) {
					if in.Dialled != "*21" {
						return base.Route(ctx, in)
					}
					return call.Decision{Kind: call.ToService, Service: func(c *call.Call) { c.Reject(sipx.ErrBusy) }}, nil
				}
				return f
			})
			a := h.Phone("1000")
			if _, code := dialCode(t, a, "*21"); code != 486 {
				t.Fatalf("service answered %d, want its 486", code)
			}
		})
	})
}

func TestHookOnFailureForwards(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var kinds []call.FailureKind
		var mu sync.Mutex
		h := withPolicy(t, func(base call.Policy) call.Policy {
			f := delegate(base)
			f.OnFailureFunc = func(ctx context.Context, fl call.Failure) (*call.Decision, error) {
				mu.Lock()
				kinds = append(kinds, fl.Kind)
				mu.Unlock()
				if fl.Kind != call.Busy {
					return nil, nil
				}
				d, err := base.Route(ctx, call.Incoming{Caller: fl.Caller, Dialled: "1002"})
				return &d, err // forward on busy to 1002
			}
			return f
		})
		a := h.Phone("1000")
		busy := h.Phone("1001", vnet.Answer(phone.AnswerMode{Behaviour: phone.Busy}))
		fwd := h.Phone("1002")
		if _, code := dialCode(t, a, "1001"); code != 200 {
			t.Fatalf("forwarded call got %d, want 200 from 1002", code)
		}
		if _, err := busy.NextIncoming(t.Context()); err != nil {
			t.Fatal(err)
		}
		if _, err := fwd.NextIncoming(t.Context()); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(kinds) != 1 || kinds[0] != call.Busy {
			t.Errorf("OnFailure saw %v, want [busy]", kinds)
		}
	})
}

func TestHookOnFailureUnreachableAndNoAnswer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var kinds []call.FailureKind
		var mu sync.Mutex
		h := withPolicy(t, func(base call.Policy) call.Policy {
			f := delegate(base)
			f.OnFailureFunc = func(_ context.Context, fl call.Failure) (*call.Decision, error) {
				mu.Lock()
				kinds = append(kinds, fl.Kind)
				mu.Unlock()
				return &call.Decision{Kind: call.Reject, Err: sipx.Status(404, "Not Here Now")}, nil
			}
			return f
		})
		a := h.Phone("1000")
		h.Phone("1001", vnet.Answer(phone.AnswerMode{Behaviour: phone.NoAnswer}))
		if _, code := dialCode(t, a, "1002"); code != 404 { // 1002 is not registered
			t.Errorf("unreachable callee: %d, want the hook's 404", code)
		}
		if _, code := dialCode(t, a, "1001"); code != 404 {
			t.Errorf("no answer: %d, want the hook's 404", code)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(kinds) != 2 || kinds[0] != call.Unreachable || kinds[1] != call.NoAnswer {
			t.Errorf("OnFailure saw %v, want [unreachable no-answer]", kinds)
		}
	})
}

func TestHookOnAnswerAndOnHangup(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ended := make(chan call.Ended, 1)
		h := withPolicy(t, func(base call.Policy) call.Policy {
			f := delegate(base)
			f.OnAnswerFunc = func(_ context.Context, a call.Answered) {
				a.Call.Hangup("credit exhausted") // prepaid: no credit left
			}
			f.OnHangupFunc = func(_ context.Context, e call.Ended) { ended <- e }
			return f
		})
		a, b := h.Phone("1000"), h.Phone("1001")
		c, code := dialCode(t, a, "1001")
		if code != 200 {
			t.Fatalf("got %d", code)
		}
		if end, err := c.Wait(t.Context()); err != nil || end.Reason != phone.ReasonBye || end.By != phone.Remote {
			t.Fatalf("caller end %+v, %v; want BYE from the PBX", end, err)
		}
		in, err := b.NextIncoming(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if end, err := in.Wait(t.Context()); err != nil || end.Reason != phone.ReasonBye {
			t.Fatalf("callee end %+v, %v", end, err)
		}
		select {
		case e := <-ended:
			if e.Record.Reason != "credit exhausted" || e.Record.Caller != "1000" || e.Record.Callee != "1001" {
				t.Errorf("OnHangup got %+v", e.Record)
			}
		case <-t.Context().Done():
			t.Fatal("OnHangup never called")
		}
	})
}

// assertNoIncoming fails if a call reached p within a minute of virtual time.
func assertNoIncoming(t *testing.T, p *vnet.Phone) {
	t.Helper()
	select {
	case c := <-p.Incoming():
		t.Fatalf("%s rang (call %s)", p.Number(), c.CallID())
	case <-time.After(time.Minute):
	}
}

func cdrs(t *testing.T, h *vnet.Harness) []pbx.CDR {
	t.Helper()
	synctest.Wait()
	recs, err := h.PBX.ListCDRs(t.Context(), pbx.CDRFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return recs
}
