package replay_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/pcapio"
	"pbxlab/internal/replay"
	"pbxlab/internal/sipwire"
	"pbxlab/pbx"
	"pbxlab/pbx/config"
	"pbxlab/pbx/pbxtest"
	"pbxlab/sim/phone"
)

// demoCreds are the demo configuration's passwords of the phones the
// tests use.
var demoCreds = replay.Credentials{"1000": "demo1000", "1001": "demo1001", "1002": "demo1002"}

// startPBX runs the demo configuration, adjusted by tweak.
func startPBX(t testing.TB, tweak func(*config.Config), capPath string) *pbxtest.Instance {
	t.Helper()
	return startCapturing(t, tweak, capPath).Instance
}

// capturingPBX is a PBX and the capture it writes.
type capturingPBX struct {
	*pbxtest.Instance
	w *pcapio.Writer
}

// startCapturing runs the demo configuration, adjusted by tweak,
// capturing to capPath when not "" (complete once closeAndFlush returns).
func startCapturing(t testing.TB, tweak func(*config.Config), capPath string) capturingPBX {
	t.Helper()
	cfg := config.Demo()
	if tweak != nil {
		tweak(cfg)
	}
	var o pbxtest.Options
	var w *pcapio.Writer
	if capPath != "" {
		var err error
		if w, err = pcapio.Create(capPath); err != nil {
			t.Fatal(err)
		}
		o.PBX = []pbx.Option{pbx.WithCapture(w)}
	}
	in, err := pbxtest.Start(cfg, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = in.Close() })
	if w != nil {
		t.Cleanup(func() { _ = w.Close() })
	}
	return capturingPBX{in, w}
}

// session drives phones against a PBX.
type session struct {
	t      testing.TB
	ctx    context.Context
	target string
	tcp    bool
}

func (s session) phone(number string, answer phone.AnswerMode) *phone.Phone {
	return s.phoneWith(phone.PhoneConfig{Number: number, Answer: answer})
}

func (s session) phoneWith(pc phone.PhoneConfig) *phone.Phone {
	s.t.Helper()
	tr := "udp"
	if s.tcp {
		tr = "tcp"
	}
	ag, err := phone.NewAgent(phone.Config{Target: s.target, Transport: tr, SignallingOnly: true})
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() { _ = ag.Close() })
	return s.phoneOn(ag, pc)
}

// phoneOn adds a registered phone to an agent (phones of one agent share
// its socket).
func (s session) phoneOn(ag *phone.Agent, pc phone.PhoneConfig) *phone.Phone {
	s.t.Helper()
	pc.Password = "demo" + pc.Number
	p, err := ag.NewPhone(pc)
	if err != nil {
		s.t.Fatal(err)
	}
	if _, err := p.Register(s.ctx); err != nil {
		s.t.Fatalf("register %s: %v", pc.Number, err)
	}
	return p
}

// recordCall captures 1000 calling 1001 (answered after ringing) and
// hanging up, and returns the capture's path.
func recordCall(t *testing.T, tcp bool) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	path := filepath.Join(t.TempDir(), "call.pcapng")
	in := startCapturing(t, nil, path)
	s := session{t: t, ctx: ctx, target: in.Target(), tcp: tcp}
	if tcp {
		s.target = in.TCP.String()
	}
	a := s.phone("1000", phone.AnswerMode{})
	incoming := make(chan *phone.Call, 1)
	s.phoneWith(phone.PhoneConfig{Number: "1001", Answer: phone.AnswerMode{Behaviour: phone.Answer, Delay: 100 * time.Millisecond},
		OnIncoming: func(c *phone.Call) { incoming <- c }})
	c, err := a.Dial(ctx, "1001")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.WaitAnswer(ctx); err != nil {
		t.Fatalf("answer: %v", err)
	}
	if err := c.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := (<-incoming).Wait(ctx); err != nil {
		t.Fatal(err)
	}
	closeAndFlush(t, in)
	return path
}

// closeAndFlush stops the PBX so that its capture is complete.
func closeAndFlush(t testing.TB, in capturingPBX) {
	t.Helper()
	if err := in.Close(); err != nil {
		t.Fatal(err)
	}
	if in.w != nil {
		if err := in.w.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// recordCancel captures 1000 calling 1001, which rings until 1000 gives
// up (CANCEL, 487).
func recordCancel(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	path := filepath.Join(t.TempDir(), "cancel.pcapng")
	in := startCapturing(t, nil, path)
	s := session{t: t, ctx: ctx, target: in.Target()}
	a := s.phone("1000", phone.AnswerMode{})
	incoming := make(chan *phone.Call, 1)
	s.phoneWith(phone.PhoneConfig{Number: "1001", Answer: phone.AnswerMode{Behaviour: phone.NoAnswer},
		OnIncoming: func(c *phone.Call) { incoming <- c }})
	c, err := a.Dial(ctx, "1001")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.WaitRinging(ctx); err != nil {
		t.Fatal(err)
	}
	// the caller listens to the ringback a moment: the PBX's capture
	// records its write of the 180 when the write returns, and a CANCEL
	// read before that would come first in the capture
	time.Sleep(50 * time.Millisecond)
	if err := c.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := (<-incoming).Wait(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	// both legs end with a 487 and each is ACKed just after (the caller's
	// ACK to the PBX, the PBX's to the callee, in either order): close the
	// capture once every non-2xx final to an INVITE has its ACK, or the
	// capture lacks one and the replay sends none
	waitCaptured(ctx, t, in, path, func(msgs []sipwire.Message) bool {
		finals, acks := 0, 0
		for _, m := range msgs {
			switch v := m.Msg.(type) {
			case *sip.Request:
				if v.Method == sip.ACK {
					acks++
				}
			case *sip.Response:
				if v.StatusCode >= 300 && v.CSeq() != nil && v.CSeq().MethodName == sip.INVITE {
					finals++
				}
			}
		}
		return finals >= 2 && acks >= finals
	})
	closeAndFlush(t, in)
	return path
}

// waitCaptured polls the PBX's capture until done accepts the messages it
// holds, or ctx ends.
func waitCaptured(ctx context.Context, t testing.TB, in capturingPBX, path string, done func([]sipwire.Message) bool) {
	t.Helper()
	for ctx.Err() == nil {
		if err := in.w.Flush(); err != nil {
			t.Fatal(err)
		}
		msgs, _ := sipwire.ReadFile(path) // a capture being written may end mid-record
		if done(msgs) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("the capture never held the messages waited for: %v", ctx.Err())
}

// recordCalls captures pairs callers (1000…) calling as many callees
// (1050…, answering after 20 ms of ringing), each pair perPair calls in
// a row, the pairs at once; the
// callers share one socket, the callees another.
func recordCalls(t testing.TB, pairs, perPair int) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	path := filepath.Join(t.TempDir(), "calls.pcapng")
	in := startCapturing(t, nil, path)
	s := session{t: t, ctx: ctx, target: in.Target()}
	agents := make([]*phone.Agent, 2)
	for i := range agents {
		ag, err := phone.NewAgent(phone.Config{Target: s.target, SignallingOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = ag.Close() })
		agents[i] = ag
	}
	callers := make([]*phone.Phone, pairs)
	for i := range pairs {
		callers[i] = s.phoneOn(agents[0], phone.PhoneConfig{Number: fmt.Sprint(1000 + i)})
		s.phoneOn(agents[1], phone.PhoneConfig{Number: fmt.Sprint(1050 + i), Answer: phone.AnswerMode{Behaviour: phone.Answer, Delay: 20 * time.Millisecond}})
	}
	var wg sync.WaitGroup
	errs := make(chan error, pairs)
	for i, p := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range perPair {
				c, err := p.Dial(ctx, fmt.Sprint(1050+i))
				if err == nil {
					err = c.WaitAnswer(ctx)
				}
				if err == nil {
					err = c.Hangup(ctx)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for agents[1].Calls() > 0 && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond) // the callees' last BYEs
	}
	closeAndFlush(t, in)
	return path
}
