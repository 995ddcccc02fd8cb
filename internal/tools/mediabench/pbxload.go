package main

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"pbxlab/internal/rtpaudio"
	"pbxlab/sim/phone"
)

// First numbers of the bench's subscribers: callers and callees.
const (
	firstCaller = 100000
	firstCallee = 150000
	lastNumber  = 199999
)

// pbxConfig is the PBX's configuration for the bench: a subscriber range
// for the phones, anchored media with a port range for maxCalls calls.
func pbxConfig(dir string, sip netip.AddrPort, maxCalls int) (string, error) {
	top := 20000 + 4*maxCalls + 100
	if top > 65535 {
		return "", fmt.Errorf("pbx config: %d calls need ports up to %d", maxCalls, top)
	}
	cfg := fmt.Sprintf(`sip:
  listen: ["udp:%s"]
registrar: {min_expires: 60, default_expires: 3600, max_expires: 3600}
auth: {realms: [{name: bench, algorithms: [MD5]}]}
store: {path: %q}
log: {level: warn}
call: {no_answer_timeout: 60s}
media: {enabled: true, anchor: relay, rtp_ports: {min: 20000, max: %d}, port_drain: 1s, timeout: 60s}
subscriber_ranges:
  - {from: "%d", to: "%d", password: "b{n}"}
`, sip, filepath.Join(dir, "pbx.db"), top, firstCaller, lastNumber)
	path := filepath.Join(dir, "pbx.yaml")
	return path, os.WriteFile(path, []byte(cfg), 0o600)
}

// pbxLoad is calls between simulated phones (sim/phone) through pbxlab:
// real SIP (digest registration, INVITE, ACK) and real G.711 RTP with each
// phone's audio identity.
type pbxLoad struct {
	callers, callees *phone.Agent
	pbx              string

	mu    sync.Mutex
	calls []*pbxCall
	inc   map[string]chan *phone.Call // callee number → its incoming calls
}

type pbxCall struct{ out, in *phone.Call }

func newPBXLoad(target netip.AddrPort) (*pbxLoad, error) {
	l := &pbxLoad{pbx: target.String(), inc: map[string]chan *phone.Call{}}
	var err error
	if l.callers, err = phone.NewAgent(phone.Config{Target: l.pbx}); err != nil {
		return nil, fmt.Errorf("pbx load: %w", err)
	}
	if l.callees, err = phone.NewAgent(phone.Config{Target: l.pbx}); err != nil {
		_ = l.callers.Close()
		return nil, fmt.Errorf("pbx load: %w", err)
	}
	return l, nil
}

// grow registers the next phones, places calls up to n (20 set-ups at a
// time) and waits until each is answered.
func (l *pbxLoad) grow(ctx context.Context, n int) error {
	l.mu.Lock()
	have := len(l.calls)
	l.mu.Unlock()
	return parallel(ctx, have, n, 20, func(ctx context.Context, i int) error {
		c, err := l.call(ctx, i)
		if err != nil {
			return err
		}
		l.mu.Lock()
		l.calls = append(l.calls, c)
		l.mu.Unlock()
		return nil
	})
}

func (l *pbxLoad) call(ctx context.Context, i int) (*pbxCall, error) {
	from, to := strconv.Itoa(firstCaller+i), strconv.Itoa(firstCallee+i)
	inc := make(chan *phone.Call, 1)
	callee, err := l.callees.NewPhone(phone.PhoneConfig{Number: to, Password: "b" + to,
		OnIncoming: func(c *phone.Call) { inc <- c }})
	if err != nil {
		return nil, err
	}
	caller, err := l.callers.NewPhone(phone.PhoneConfig{Number: from, Password: "b" + from})
	if err != nil {
		return nil, err
	}
	if _, err := callee.Register(ctx); err != nil {
		return nil, fmt.Errorf("register %s: %w", to, err)
	}
	cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	out, err := caller.Dial(cctx, to)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", to, err)
	}
	if err := out.WaitAnswer(cctx); err != nil {
		return nil, fmt.Errorf("call %s -> %s: %w", from, to, err)
	}
	select {
	case in := <-inc:
		return &pbxCall{out: out, in: in}, nil
	case <-cctx.Done():
		return nil, fmt.Errorf("call %s -> %s: callee leg: %w", from, to, cctx.Err())
	}
}

func (l *pbxLoad) streams() []rtpaudio.Stats {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]rtpaudio.Stats, 0, 2*len(l.calls))
	for _, c := range l.calls {
		out = append(out, c.out.MediaStats(), c.in.MediaStats())
	}
	return out
}

func (l *pbxLoad) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	l.mu.Lock()
	calls := l.calls
	l.mu.Unlock()
	_ = parallel(ctx, 0, len(calls), 50, func(ctx context.Context, i int) error {
		_ = calls[i].out.Hangup(ctx)
		return nil
	})
	_ = l.callers.Close()
	_ = l.callees.Close()
}
