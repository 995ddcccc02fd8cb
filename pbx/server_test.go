package pbx_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"pbxlab/pbx/internal/cdr"
	"pbxlab/pbx/pbxtest"
	"pbxlab/sim/phone"
)

// TestBasicCallEndToEnd runs a real call through the in-process PBX with two
// simulated phones: register, dial, answer, two-way audio, BYE, CDR.
func TestBasicCallEndToEnd(t *testing.T) {
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
	ag, err := phone.NewAgent(phone.Config{Target: in.Target()})
	if err != nil {
		t.Fatal(err)
	}
	defer ag.Close()
	phones := map[string]*phone.Phone{}
	for _, n := range []string{"1000", "1001"} {
		p, err := ag.NewPhone(phone.PhoneConfig{Number: n, Password: "demo" + n})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.Register(ctx); err != nil {
			t.Fatalf("register %s: %v", n, err)
		}
		phones[n] = p
	}
	c, err := phones["1000"].Dial(ctx, "1001")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.WaitAnswer(ctx); err != nil {
		t.Fatalf("answer: %v (code %d)", err, c.Code())
	}
	actx, acancel := context.WithTimeout(ctx, 5*time.Second)
	defer acancel()
	if _, err := c.TwoWayAudio(actx); err != nil {
		t.Errorf("caller does not hear callee: %v", err)
	}
	callee := phones["1001"].Calls()
	if len(callee) != 1 {
		t.Fatalf("callee has %d calls", len(callee))
	}
	if _, err := callee[0].TwoWayAudio(actx); err != nil {
		t.Errorf("callee does not hear caller: %v", err)
	}
	if err := c.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	end, err := callee[0].Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if end.Code != 200 {
		t.Errorf("callee end = %+v", end)
	}
	var recs []cdr.Record
	for range 50 {
		recs, err = in.CDRs().List(ctx, cdr.Filter{})
		if err == nil && len(recs) == 1 && recs[0].Disposition == cdr.Answered {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(recs) != 1 || recs[0].Disposition != cdr.Answered || recs[0].Caller != "1000" || recs[0].Callee != "1001" {
		t.Fatalf("CDRs = %s", fmt.Sprint(recs))
	}
}
