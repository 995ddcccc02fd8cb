package call_test

import (
	"context"
	"fmt"
	"net/netip"
	"sync"
	"testing"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/sdpneg"
	"pbxlab/pbx/internal/call"
)

// Helpers of the ops_* tests: services that drive a call through the
// operations of ops.go, and a fake mixing media seam.

// serviceMedia is where a test service says its media is (an IVR's
// announcement, a music-on-hold source): nothing listens there.
var serviceMedia = netip.MustParseAddrPort("192.0.2.1:4000")

// serviceAnswer is a service's own SDP answer to offer.
func serviceAnswer(offer []byte) ([]byte, error) {
	s, err := sdpneg.Parse(offer)
	if err != nil {
		return nil, fmt.Errorf("service answer: %w", err)
	}
	b, _, err := sdpneg.Answer(s, serviceMedia, sdpneg.DefaultCodecs(), 1)
	if err != nil {
		return nil, fmt.Errorf("service answer: %w", err)
	}
	return b, nil
}

// serviceRoute routes number to the Decision service makes, and every other
// number as base does. service gets the caller's INVITE and the targets of
// the subscriber callee.
func serviceRoute(base call.Policy, number, callee string, service func(in call.Incoming, targets []call.Target) func(*call.Call)) call.Funcs {
	f := delegate(base)
	f.RouteFunc = func(ctx context.Context, in call.Incoming) (call.Decision, error) {
		if in.Dialled != number {
			return base.Route(ctx, in)
		}
		targets, err := targetsOf(ctx, base, callee)
		if err != nil {
			return call.Decision{}, err
		}
		return call.Decision{Kind: call.ToService, Callee: callee, Service: service(in, targets)}, nil
	}
	return f
}

// opResult is the outcome of an operation, as its done callback saw it.
type opResult struct {
	bridge *call.Bridge
	err    error
}

// awaitOp waits for an operation's outcome.
func (r *setupRig) awaitOp(ch <-chan opResult) opResult {
	r.t.Helper()
	return awaitValue(r, ch)
}

// awaitValue waits for what an operation's callback sends on ch.
func awaitValue[T any](r *setupRig, ch <-chan T) T {
	r.t.Helper()
	select {
	case v := <-ch:
		return v
	case <-r.ctx.Done():
		r.t.Fatal("the operation never completed")
		var zero T
		return zero
	}
}

// mixAnswer is an answer that crossed a fakeMixer.
type mixAnswer struct {
	from, to string // leg IDs; to is "" when the answer is for the mixer itself
	sdp      []byte
}

// fakeMixer is a Mixer seam: offers and answers between legs pass through
// unchanged, Add gives each added leg an offer for the mixer's own port on
// mixerHost, and every answer is recorded.
type fakeMixer struct {
	mu      sync.Mutex
	added   []string
	offered [][]byte
	answers []mixAnswer
}

var mixerHost = netip.MustParseAddr("192.0.2.99")

var _ call.Mixer = (*fakeMixer)(nil)

func (m *fakeMixer) Offer(_, _ *call.Leg, sdp []byte) ([]byte, error) { return sdp, nil }

func (m *fakeMixer) Answer(from, to *call.Leg, sdp []byte) ([]byte, error) {
	a := mixAnswer{from: from.ID(), sdp: sdp}
	if to != nil {
		a.to = to.ID()
	}
	m.mu.Lock()
	m.answers = append(m.answers, a)
	m.mu.Unlock()
	return sdp, nil
}

func (m *fakeMixer) Close() {}

func (m *fakeMixer) Add(l *call.Leg) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	port := uint16(30000 + 2*len(m.added))
	b, err := sdpneg.Offer(netip.AddrPortFrom(mixerHost, port), sdpneg.DefaultCodecs(), uint64(port))
	if err != nil {
		return nil, err
	}
	m.added = append(m.added, l.ID())
	m.offered = append(m.offered, b)
	return b, nil
}

// mixers makes a fakeMixer for every bridge and remembers them.
type mixers struct {
	mu  sync.Mutex
	all []*fakeMixer
}

func (ms *mixers) factory(*call.Call) call.Media {
	m := &fakeMixer{}
	ms.mu.Lock()
	ms.all = append(ms.all, m)
	ms.mu.Unlock()
	return m
}

// used returns the mixers whose Add was called.
func (ms *mixers) used() []*fakeMixer {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	var out []*fakeMixer
	for _, m := range ms.all {
		m.mu.Lock()
		if len(m.added) > 0 {
			out = append(out, m)
		}
		m.mu.Unlock()
	}
	return out
}

// referHook is a Policy.InDialog that runs do on every REFER (on the
// call's executor) and answers it 202; other requests are not handled.
func referHook(base call.Policy, do func(ctx context.Context, in call.InDialogRequest)) call.Funcs {
	f := delegate(base)
	f.InDialogFunc = func(ctx context.Context, in call.InDialogRequest) (*sip.Response, error) {
		if in.Request.Method != sip.REFER {
			return nil, call.ErrNotHandled
		}
		do(ctx, in)
		return sip.NewResponseFromRequest(in.Request, 202, "Accepted", nil), nil
	}
	return f
}

// otherLeg is the leg bridged with l in the call's bridge.
func otherLeg(c *call.Call, l *call.Leg) *call.Leg {
	for _, x := range c.Bridge().Legs() {
		if x != l {
			return x
		}
	}
	return nil
}

// mustSDPAt fails unless body's media address is at host.
func mustSDPAt(t *testing.T, what string, body []byte, host netip.Addr) {
	t.Helper()
	if got := sdpAddr(t, body).Addr(); got != host {
		t.Errorf("%s names %s, want %s", what, got, host)
	}
}

// joinAfterAnswer routes 7000 to a service that answers the caller A
// itself (its own media, as an IVR would), calls 1001 without an offer,
// and when 1001's 2xx brings its offer Joins it with A, reporting on
// joined.
func joinAfterAnswer(joined chan<- opResult) rigOption {
	return withCallPolicy(func(base call.Policy) call.Policy {
		return serviceRoute(base, "7000", "1001", func(in call.Incoming, targets []call.Target) func(*call.Call) {
			offer := in.Request.Body()
			return func(c *call.Call) {
				a := c.Caller()
				own, err := serviceAnswer(offer)
				if err != nil {
					c.Reject(err)
					return
				}
				if err := c.Answer(a, own, nil); err != nil {
					c.Hangup(err.Error())
					return
				}
				_, err = c.Originate(targets[0], nil, nil, func(l *call.Leg, res *sip.Response) {
					if res.IsSuccess() {
						c.Join(l, a, func(b *call.Bridge, err error) { joined <- opResult{b, err} })
					}
				})
				if err != nil {
					c.Hangup(err.Error())
				}
			}
		})
	})
}
