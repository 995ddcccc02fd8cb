package pbx_test

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"pbxlab/pbx"
	"pbxlab/pbx/config"
	"pbxlab/pbx/pbxtest/vnet"
	"pbxlab/sim/phone"
)

// virtual runs f in a synctest bubble and logs how much virtual time it
// covered against the wall time it took (cleanups included: the PBX's
// graceful shutdown runs in virtual time too).
func virtual(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	wall := time.Now()
	var covered time.Duration
	defer stallWatchdog(t, bubbleWallLimit)()
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		t.Cleanup(func() { covered = time.Since(start) }) // runs last
		f(t)
	})
	took := time.Since(wall)
	t.Logf("virtual %v in %v wall: speed-up %.0fx", covered, took.Round(time.Microsecond), float64(covered)/float64(took))
}

// bubbleWallLimit is the wall time a virtual-time test may take before
// stallWatchdog ends the test binary: the busiest (TestVirtualBusyHour)
// takes well under a minute with -race on 2 loaded cores.
const bubbleWallLimit = 10 * time.Minute

// stallWatchdog, started outside the bubble (a real timer), ends the test
// binary with every goroutine's stack when the bubble has run limit of
// wall time: a stalled bubble (a goroutine waiting on something that is
// not durably blocking, so virtual time never advances: docs/VIRTUAL_TIME.md)
// never returns, and go test's own timeout would only come at the
// package's limit. The returned func stops it.
func stallWatchdog(t *testing.T, limit time.Duration) (stop func()) {
	name := t.Name()
	tm := time.AfterFunc(limit, func() {
		buf := make([]byte, 32<<20)
		buf = buf[:runtime.Stack(buf, true)]
		fmt.Fprintf(os.Stderr, "%s: its synctest bubble is still running after %v of wall time; goroutines:\n%s\n", name, limit, buf)
		panic(name + ": synctest bubble stalled (goroutines above)")
	})
	return func() { tm.Stop() }
}

// cdrsOf lists the PBX's records (no polling needed: once the phones have
// seen the call end and the bubble is idle, the PBX has committed it).
func cdrsOf(t *testing.T, h *vnet.Harness) []pbx.CDR {
	t.Helper()
	synctest.Wait()
	recs, err := h.PBX.ListCDRs(t.Context(), pbx.CDRFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// TestVirtualCall: two phones register, call, answer, hang up; the CDR says
// ANSWERED with the talk time spent in virtual time. With the store in
// memory and in a file (SQLite runs inside the bubble), over IPv4 and IPv6.
func TestVirtualCall(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts func(t *testing.T) []vnet.Option
	}{
		{"memory-store", func(*testing.T) []vnet.Option { return nil }},
		{"file-store", func(t *testing.T) []vnet.Option {
			return []vnet.Option{vnet.WithStore(filepath.Join(t.TempDir(), "pbx.db"))}
		}},
		{"ipv6", func(*testing.T) []vnet.Option {
			return []vnet.Option{vnet.WithPBXAddr(netip.MustParseAddrPort("[::1]:5060"))}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) { virtual(t, func(t *testing.T) { virtualCall(t, tc.opts(t)...) }) })
	}
}

func virtualCall(t *testing.T, opts ...vnet.Option) {
	ctx := t.Context()
	h := vnet.Start(t, nil, opts...)
	if path := h.Config.Store.Path; path != "" {
		if _, err := os.Stat(path); err != nil {
			t.Fatalf("file store: %v", err)
		}
	}
	a, b := h.Phone("1000"), h.Phone("1001")
	c, err := a.Dial(ctx, "1001")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.WaitAnswer(ctx); err != nil {
		t.Fatalf("answer: %v (code %d)", err, c.Code())
	}
	callee, err := b.NextIncoming(ctx)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(90 * time.Second) // talk
	if err := c.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	if end, err := callee.Wait(ctx); err != nil || end.Reason != phone.ReasonBye || end.By != phone.Remote {
		t.Fatalf("callee end = %+v, %v", end, err)
	}
	if _, err := c.TwoWayAudio(ctx); !errors.Is(err, phone.ErrNoAudio) {
		t.Errorf("audio check on a signalling-only call: %v, want ErrNoAudio", err)
	}
	recs := cdrsOf(t, h)
	if len(recs) != 1 || recs[0].Disposition != pbx.Answered {
		t.Fatalf("CDRs %+v, want one ANSWERED", recs)
	}
	r := recs[0]
	if r.Caller != "1000" || r.Callee != "1001" {
		t.Errorf("CDR caller %q callee %q", r.Caller, r.Callee)
	}
	if talk := r.End.Sub(r.Answer); talk != 90*time.Second {
		t.Errorf("CDR talk time %v, want exactly 90s of virtual time", talk)
	}
}

// TestVirtualNoAnswer: the callee rings past the PBX's no-answer timer at its
// real default (60 s): the caller gets 480 exactly 60 s after dialling, the
// callee's ringing is CANCELled, the CDR says NO ANSWER.
func TestVirtualNoAnswer(t *testing.T) {
	virtual(t, func(t *testing.T) {
		ctx := t.Context()
		h := vnet.Start(t, nil)
		if got := h.Config.Call.NoAnswerTimeout; got != 60*time.Second {
			t.Fatalf("default no-answer timeout %v, want the real 60s", got)
		}
		a := h.Phone("1000")
		b := h.Phone("1001", vnet.Answer(phone.AnswerMode{Behaviour: phone.NoAnswer}))
		start := time.Now()
		c, err := a.Dial(ctx, "1001")
		if err != nil {
			t.Fatal(err)
		}
		if err := c.WaitRinging(ctx); err != nil {
			t.Fatal(err)
		}
		err = c.WaitAnswer(ctx)
		if phone.StatusCode(err) != 480 {
			t.Fatalf("caller got %v (code %d), want 480", err, c.Code())
		}
		if waited := time.Since(start); waited != 60*time.Second {
			t.Errorf("480 after %v of virtual time, want exactly 60s", waited)
		}
		callee, err := b.NextIncoming(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if end, err := callee.Wait(ctx); err != nil || end.Reason != phone.ReasonCancel || end.Code != 487 {
			t.Fatalf("callee end = %+v, %v; want cancelled with 487", end, err)
		}
		recs := cdrsOf(t, h)
		if len(recs) != 1 || recs[0].Disposition != pbx.NoAnswer || recs[0].Cause != 480 {
			t.Fatalf("CDRs %+v, want one NO ANSWER with cause 480", recs)
		}
	})
}

// TestVirtualRegistrationHour: over one virtual hour a phone asking for
// 120 s refreshes every 60 s and stays reachable, while the binding of a
// phone that went away silently expires and is purged.
func TestVirtualRegistrationHour(t *testing.T) {
	virtual(t, func(t *testing.T) {
		ctx := t.Context()
		h := vnet.Start(t, nil)
		var (
			mu        sync.Mutex
			refreshes []time.Duration
		)
		var start time.Time // set once 1000 is registered
		refresh := func(r phone.Registration, err error) {
			mu.Lock()
			defer mu.Unlock()
			if err != nil || r.Code != 200 {
				t.Errorf("refresh %d: %+v, %v", len(refreshes)+1, r, err)
			}
			refreshes = append(refreshes, time.Since(start))
		}
		short := vnet.PhoneConfig(func(c *phone.PhoneConfig) { c.Expires = 120 * time.Second })
		stays := h.Phone("1000", short, vnet.PhoneConfig(func(c *phone.PhoneConfig) { c.OnRegister = refresh }))
		mu.Lock()
		start = time.Now()
		mu.Unlock()
		leaves := h.Phone("1001", short)
		if err := leaves.Agent().Close(); err != nil { // no un-REGISTER: the binding is left to expire
			t.Fatal(err)
		}
		time.Sleep(time.Hour)

		mu.Lock()
		got := append([]time.Duration(nil), refreshes...)
		mu.Unlock()
		if len(got) != 60 {
			t.Fatalf("%d refreshes in an hour, want 60 (every 60s): %v", len(got), got)
		}
		for i, at := range got {
			if want := time.Duration(i+1) * time.Minute; at != want {
				t.Fatalf("refresh %d at %v, want %v", i+1, at, want)
			}
		}
		if bs, err := h.PBX.Registrar().Lookup(ctx, "1000"); err != nil || len(bs) != 1 {
			t.Fatalf("1000's bindings after an hour: %v, %v; want 1", bs, err)
		}
		if bs, err := h.PBX.Registrar().Lookup(ctx, "1001"); err != nil || len(bs) != 0 {
			t.Fatalf("1001's bindings after an hour: %v, %v; want none", bs, err)
		}
		// The caller reaching 1001 now gets 480 (no binding) at once.
		c, err := stays.Dial(ctx, "1001")
		if err != nil {
			t.Fatal(err)
		}
		if err := c.WaitAnswer(ctx); phone.StatusCode(err) != 480 {
			t.Fatalf("call to the expired phone: %v, want 480", err)
		}
	})
}

// TestVirtualTimerB exercises sipgo's own transaction timers: subscriber
// 2000's static contact is a raw socket on the network that reads every
// INVITE and never answers. The PBX's client transaction retransmits the
// INVITE on Timer A (T1, doubling) until Timer B (64*T1 = 32 s) ends it,
// and the caller gets a final 408/480 at exactly 32 s.
func TestVirtualTimerB(t *testing.T) {
	virtual(t, func(t *testing.T) {
		ctx := t.Context()
		cfg := config.Demo()
		cfg.ExplicitSubscribers = append(cfg.ExplicitSubscribers, config.Subscriber{Number: "2000", Contacts: []string{"sip:2000@10.99.0.1:5060"}})
		h := vnet.Start(t, cfg)
		hole := h.Listen("10.99.0.1:5060")
		a := h.Phone("1000")
		start := time.Now()
		var arrivals []time.Duration
		read := make(chan struct{})
		go func() {
			defer close(read)
			buf := make([]byte, 65535)
			for {
				n, _, err := hole.ReadFrom(buf)
				if err != nil {
					return
				}
				if bytes.HasPrefix(buf[:n], []byte("INVITE ")) {
					arrivals = append(arrivals, time.Since(start))
				}
			}
		}()
		c, err := a.Dial(ctx, "2000")
		if err != nil {
			t.Fatal(err)
		}
		err = c.WaitAnswer(ctx)
		if code := phone.StatusCode(err); code != 408 && code != 480 {
			t.Fatalf("caller got %v, want 408 or 480", err)
		}
		if waited := time.Since(start); waited != 32*time.Second {
			t.Errorf("final response after %v, want Timer B = 64*T1 = 32s", waited)
		}
		_ = hole.Close()
		<-read
		want := []time.Duration{0, 500 * time.Millisecond, 1500 * time.Millisecond, 3500 * time.Millisecond,
			7500 * time.Millisecond, 15500 * time.Millisecond, 31500 * time.Millisecond}
		if len(arrivals) != len(want) {
			t.Fatalf("INVITE arrivals %v, want %v (Timer A: T1, doubling)", arrivals, want)
		}
		for i := range want {
			if arrivals[i] != want[i] {
				t.Fatalf("INVITE arrivals %v, want %v", arrivals, want)
			}
		}
		recs := cdrsOf(t, h)
		if len(recs) != 1 || recs[0].Disposition != pbx.NoAnswer {
			t.Fatalf("CDRs %+v, want one NO ANSWER", recs)
		}
	})
}
