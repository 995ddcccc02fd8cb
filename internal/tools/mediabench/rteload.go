package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"sync"

	"pbxlab/internal/rtpaudio"
	"pbxlab/internal/sdpneg"
	"pbxlab/internal/tone"
	"pbxlab/sim/phone"
)

// rteLoad is the same streams as pbxLoad — G.711 µ-law, 20 ms, each
// endpoint sending its number's audio identity and receiving the other's
// — relayed by rtpengine, set up through its ng protocol (offer, answer)
// instead of SIP.
type rteLoad struct {
	ng  *ngClient
	loc netip.Addr

	mu    sync.Mutex
	calls []*rteCall
}

type rteCall struct {
	id       string
	a, b     *rtpaudio.Stream
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	from, to string
}

func newRTELoad(ng *ngClient, loc netip.Addr) *rteLoad { return &rteLoad{ng: ng, loc: loc} }

func (l *rteLoad) grow(ctx context.Context, n int) error {
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

func (l *rteLoad) call(ctx context.Context, i int) (*rteCall, error) {
	c := &rteCall{id: "bench-" + strconv.Itoa(i) + "-" + strconv.FormatUint(rand.Uint64(), 36),
		from: "f" + strconv.Itoa(i), to: "t" + strconv.Itoa(i)}
	var err error
	if c.a, err = rtpaudio.Listen(l.loc); err != nil {
		return nil, err
	}
	if c.b, err = rtpaudio.Listen(l.loc); err != nil {
		_ = c.a.Close()
		return nil, err
	}
	fail := func(err error) (*rteCall, error) {
		_ = c.a.Close()
		_ = c.b.Close()
		return nil, fmt.Errorf("rtpengine call %d: %w", i, err)
	}
	offer, err := sdpneg.Offer(c.a.LocalAddr(), []sdpneg.Codec{sdpneg.PCMU()}, rand.Uint64N(1<<62))
	if err != nil {
		return fail(err)
	}
	res, err := l.ng.do(ctx, map[string]any{"command": "offer", "call-id": c.id, "from-tag": c.from, "sdp": offer,
		"replace": []any{"origin", "session-connection"}, "flags": []any{"symmetric"}})
	if err != nil {
		return fail(err)
	}
	toB, err := sdpneg.Parse([]byte(str(res["sdp"])))
	if err != nil {
		return fail(err)
	}
	answer, _, err := sdpneg.Answer(toB, c.b.LocalAddr(), []sdpneg.Codec{sdpneg.PCMU()}, rand.Uint64N(1<<62))
	if err != nil {
		return fail(err)
	}
	res, err = l.ng.do(ctx, map[string]any{"command": "answer", "call-id": c.id, "from-tag": c.from, "to-tag": c.to, "sdp": answer,
		"replace": []any{"origin", "session-connection"}, "flags": []any{"symmetric"}})
	if err != nil {
		return fail(err)
	}
	toA, err := sdpneg.Parse([]byte(str(res["sdp"])))
	if err != nil {
		return fail(err)
	}
	c.a.SetRemote(toA.Addr)
	c.b.SetRemote(toB.Addr)
	sctx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	for k, s := range []*rtpaudio.Stream{c.a, c.b} {
		id := phone.IdentityFor(strconv.Itoa(firstCaller + 50000*k + i))
		src := tone.NewChord(tone.DefaultRate, 0.3, id.Freqs()...).Fill
		c.wg.Go(func() { _ = s.Run(sctx) })
		c.wg.Go(func() { _ = s.Send(sctx, src) })
	}
	return c, nil
}

func str(v any) string { s, _ := v.(string); return s }

func (l *rteLoad) streams() []rtpaudio.Stats {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]rtpaudio.Stats, 0, 2*len(l.calls))
	for _, c := range l.calls {
		out = append(out, c.a.Stats(), c.b.Stats())
	}
	return out
}

func (l *rteLoad) close() {
	ctx := context.Background()
	l.mu.Lock()
	calls := l.calls
	l.mu.Unlock()
	for _, c := range calls {
		c.cancel()
		_ = c.a.Close()
		_ = c.b.Close()
		c.wg.Wait()
		_, _ = l.ng.do(ctx, map[string]any{"command": "delete", "call-id": c.id, "from-tag": c.from})
	}
}
