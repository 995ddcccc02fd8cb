package call_test

import (
	"context"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/sdpneg"
	"pbxlab/internal/testua"
	"pbxlab/pbx"
	"pbxlab/pbx/config"
	"pbxlab/pbx/internal/call"
	"pbxlab/pbx/pbxtest/vnet"
)

// Helpers of the setup_*/ops_* tests: the real PBX on the in-memory
// network inside a synctest bubble, driven on the wire by internal/testua
// user agents, one per party, each on its own address (10.0.0.x).

// setupWait bounds every wait of a test: its context ends this long (of
// virtual time) after the PBX started, longer than any test sleeps.
const setupWait = time.Hour

// setupRig is one virtual PBX and the test UAs talking to it.
type setupRig struct {
	t   *testing.T
	h   *vnet.Harness
	ctx context.Context

	mu  sync.Mutex
	uas []*testua.UA // closed after the PBX stopped
}

// rigConfig is what newSetupRig builds from its options.
type rigConfig struct {
	cfg     *config.Config
	callOps []call.Option
}

type rigOption func(*rigConfig)

// trustedCallers makes every address of the network (10.0.0.0/8) a trusted
// peer, so INVITEs need no digest (callees still register with theirs).
func trustedCallers() rigOption {
	return func(c *rigConfig) {
		c.cfg.TrustedPeers = []config.TrustedPeer{{Name: "raw", Address: "10.0.0.0/8"}}
	}
}

// withCallPolicy wraps the PBX's call Policy.
func withCallPolicy(wrap func(base call.Policy) call.Policy) rigOption {
	return func(c *rigConfig) { c.callOps = append(c.callOps, call.WrapPolicy(wrap)) }
}

// withCallMedia gives every bridge the seam f makes.
func withCallMedia(f call.MediaFactory) rigOption {
	return func(c *rigConfig) { c.callOps = append(c.callOps, call.WithMedia(f)) }
}

// newSetupRig starts the PBX (demo configuration changed by opts) inside
// the current bubble.
func newSetupRig(t *testing.T, opts ...rigOption) *setupRig {
	t.Helper()
	rc := rigConfig{cfg: config.Demo()}
	for _, o := range opts {
		o(&rc)
	}
	vo := []vnet.Option{vnet.WithSettle(synctest.Wait)}
	if len(rc.callOps) > 0 {
		vo = append(vo, vnet.WithPBXOptions(pbx.WithCallOptions(rc.callOps...)))
	}
	r := &setupRig{t: t}
	// Registered before the PBX's cleanup, so it runs after the PBX has shut
	// down: a test that fails mid-call leaves calls the PBX ends with UAs
	// still there to answer its BYE or CANCEL (a transaction left running
	// past the PBX's Close would make sipgo open a real socket, which stops
	// virtual time).
	t.Cleanup(r.closeUAs)
	r.h = vnet.Start(t, rc.cfg, vo...)
	ctx, cancel := context.WithTimeout(t.Context(), setupWait)
	t.Cleanup(cancel)
	r.ctx = ctx
	return r
}

func (r *setupRig) closeUAs() {
	synctest.Wait() // what is in flight to them arrives first
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, u := range r.uas {
		if err := u.Close(); err != nil {
			r.t.Errorf("close test ua %s: %v", u.Local(), err)
		}
	}
}

// ua opens a test UA with its own address on the network.
func (r *setupRig) ua(user string, opts ...testua.Option) *testua.UA {
	r.t.Helper()
	pc, err := r.h.ListenPacket("udp", netip.AddrPortFrom(r.h.NextIP(), 0).String())
	if err != nil {
		r.t.Fatal(err)
	}
	u, err := testua.New(testua.Config{PBX: r.h.Addr, User: user}, append([]testua.Option{testua.WithPacketConn(pc)}, opts...)...)
	if err != nil {
		_ = pc.Close()
		r.t.Fatal(err)
	}
	r.mu.Lock()
	r.uas = append(r.uas, u)
	r.mu.Unlock()
	return u
}

// callee opens a test UA for subscriber number and registers it (its own
// Contact, unless contact is given).
func (r *setupRig) callee(number string, contact ...string) *testua.UA {
	r.t.Helper()
	u := r.ua(number)
	reg := testua.Registration{Password: "demo" + number, Expires: 3600}
	if len(contact) > 0 {
		reg.Contact = contact[0]
	}
	res, err := u.Register(r.ctx, reg)
	if err != nil || res.StatusCode != 200 {
		r.t.Fatalf("register %s: %v, %v", number, res, err)
	}
	return u
}

// invite starts an INVITE from u to number carrying sdp (nil: late offer),
// after edit (may be nil) changed it.
func (r *setupRig) invite(u *testua.UA, number string, sdp []byte, edit func(*sip.Request)) *testua.ClientTx {
	r.t.Helper()
	req := u.NewInvite(number, sdp)
	if edit != nil {
		edit(req)
	}
	tx, err := u.Start(req)
	if err != nil {
		r.t.Fatal(err)
	}
	return tx
}

// incoming waits for the next request matching m at u; what, if given,
// says in the failure what did not come ("BYE of the losing fork").
func (r *setupRig) incoming(u *testua.UA, m testua.Matcher, what ...string) *testua.Incoming {
	r.t.Helper()
	in, err := u.AwaitIncoming(r.ctx, m)
	if err != nil {
		r.t.Fatalf("%s at %s: %v", strings.Join(what, " "), u.Local(), err)
	}
	return in
}

// await waits for the next record matching m at u (what as for incoming).
func (r *setupRig) await(u *testua.UA, m testua.Matcher, what ...string) *testua.Record {
	r.t.Helper()
	rec, err := u.Await(r.ctx, m)
	if err != nil {
		r.t.Fatalf("%s at %s: %v", strings.Join(what, " "), u.Local(), err)
	}
	return rec
}

// final waits for tx's final response.
func (r *setupRig) final(tx *testua.ClientTx) *sip.Response {
	r.t.Helper()
	res, err := tx.Final(r.ctx)
	if err != nil {
		r.t.Fatalf("%s: %v", tx.Request().Method, err)
	}
	return res
}

// respond sends res on in.
func (r *setupRig) respond(in *testua.Incoming, res *sip.Response) {
	r.t.Helper()
	if err := in.Respond(res); err != nil {
		r.t.Fatal(err)
	}
}

// answer answers in with 200 and the SDP answer to its offer (or an offer,
// for a request without one) and waits for the ACK, which it returns.
func (r *setupRig) answer(in *testua.Incoming) *sip.Request {
	r.t.Helper()
	ok, err := in.Answer()
	if err != nil {
		r.t.Fatal(err)
	}
	ack, err := in.RespondUntilAck(r.ctx, ok)
	if err != nil {
		r.t.Fatalf("answer %s: %v", in.Request().Method, err)
	}
	return ack.Request()
}

// ack sends the ACK of tx's 2xx with body.
func (r *setupRig) ack(tx *testua.ClientTx, body []byte) {
	r.t.Helper()
	if _, err := tx.Ack(body); err != nil {
		r.t.Fatal(err)
	}
}

// establish places a call from caller (with an SDP offer) to number, whose
// UA callee answers; both ACKs are through. It returns the caller's INVITE
// transaction and the callee's INVITE.
func (r *setupRig) establish(caller, callee *testua.UA, number string) (*testua.ClientTx, *testua.Incoming) {
	r.t.Helper()
	tx := r.invite(caller, number, caller.Offer(), nil)
	in := r.incoming(callee, testua.Method(sip.INVITE))
	ok, err := in.Answer()
	if err != nil {
		r.t.Fatal(err)
	}
	acked := make(chan error, 1)
	go func() {
		_, err := in.RespondUntilAck(r.ctx, ok)
		acked <- err
	}()
	if res := r.final(tx); res.StatusCode != 200 {
		r.t.Fatalf("call to %s answered %d", number, res.StatusCode)
	}
	r.ack(tx, nil)
	if err := <-acked; err != nil {
		r.t.Fatalf("callee %s got no ACK: %v", number, err)
	}
	return tx, in
}

// bye sends a BYE in d and checks its 200.
func (r *setupRig) bye(d *testua.Dialog) {
	r.t.Helper()
	res, err := d.Bye(r.ctx)
	if err != nil || res.StatusCode != 200 {
		r.t.Fatalf("BYE: %v, %v", res, err)
	}
}

// targetsOf asks the PBX's number analysis where number rings.
func targetsOf(ctx context.Context, base call.Policy, number string) ([]call.Target, error) {
	d, err := base.Route(ctx, call.Incoming{Caller: call.Caller{Number: "service"}, Dialled: number})
	return d.Targets, err
}

// inDialog matches requests inside a dialog (a To tag).
func inDialog() testua.Matcher {
	return testua.Func(func(m sip.Message) bool { return m.To() != nil && m.To().Params.Has("tag") })
}

// headerValues lists the values of every header name of m.
func headerValues(m sip.Message, name string) []string {
	var out []string
	for _, h := range m.GetHeaders(name) {
		out = append(out, h.Value())
	}
	return out
}

// sdpAddr is the media address an SDP body names (c= and m=audio port).
func sdpAddr(t *testing.T, body []byte) netip.AddrPort {
	t.Helper()
	s, err := sdpneg.Parse(body)
	if err != nil {
		t.Fatalf("SDP %q: %v", body, err)
	}
	return s.Addr
}

// toTag is m's To tag.
func toTag(m sip.Message) string {
	tag, _ := m.To().Params.Get("tag")
	return tag
}

// codesOf lists the status codes of response records.
func codesOf(recs []*testua.Record) []int {
	var out []int
	for _, r := range recs {
		out = append(out, r.Response().StatusCode)
	}
	return out
}

// hasToken reports whether a comma-separated header value list has tok.
func hasToken(values []string, tok string) bool {
	for _, v := range values {
		for _, x := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(x), tok) {
				return true
			}
		}
	}
	return false
}
