package phone

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"

	"pbxlab/internal/clock"
)

// registrar is a tiny digest-authenticating registrar (RFC 3261 §10.3,
// RFC 8760 for SHA-256) that also challenges INVITEs with 407 and then
// answers them busy, for tests.
type registrar struct {
	t         *testing.T
	algorithm string // "MD5" or "SHA-256"
	users     map[string]string
	grant     int  // seconds granted (0: what was asked)
	rechall   bool // answer bad credentials with 401 instead of 403
	pad       int  // bytes of an X-Pad header added to the 200 to a REGISTER
	addr      string

	mu       sync.Mutex
	nonce    int
	accepted []regRecord // authenticated REGISTERs, in order
	invites  int         // authenticated INVITEs
	seen     chan struct{}
}

type regRecord struct {
	user    string
	expires int
	contact string
	size    int  // bytes of the REGISTER as received
	rport   bool // the top Via asks for rport (RFC 3581)
}

func newRegistrar(t *testing.T, algorithm string, users map[string]string, opts ...func(*registrar)) *registrar {
	t.Helper()
	r := &registrar{t: t, algorithm: algorithm, users: users, seen: make(chan struct{}, 64)}
	for _, o := range opts {
		o(r)
	}
	ua, err := sipgo.NewUA()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sipgo.NewServer(ua)
	if err != nil {
		t.Fatal(err)
	}
	srv.OnRegister(r.onRegister)
	srv.OnInvite(r.onInvite)
	srv.OnAck(func(*sip.Request, sip.ServerTransaction) {})
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r.addr = pc.LocalAddr().String()
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.ServeUDP(pc)
	}()
	t.Cleanup(func() {
		_ = pc.Close()
		<-done
		time.Sleep(closeGrace) // let in-flight message goroutines take their connection
		_ = ua.Close()
	})
	return r
}

func (r *registrar) challenge() *digest.Challenge {
	r.mu.Lock()
	r.nonce++
	n := r.nonce
	r.mu.Unlock()
	return &digest.Challenge{Realm: "pbxlab.test", Nonce: fmt.Sprintf("nonce%08d", n), Algorithm: r.algorithm, QOP: []string{"auth"}}
}

// verify checks the credentials in header against the user's password.
func (r *registrar) verify(req *sip.Request, header string) (user string, ok bool) {
	h := req.GetHeader(header)
	if h == nil {
		return "", false
	}
	cred, err := digest.ParseCredentials(h.Value())
	if err != nil || cred.Algorithm != r.algorithm {
		return "", false
	}
	pass, known := r.users[cred.Username]
	if !known {
		return cred.Username, false
	}
	want, err := digest.Digest(&digest.Challenge{Realm: cred.Realm, Nonce: cred.Nonce, Algorithm: cred.Algorithm, QOP: []string{cred.QOP}},
		digest.Options{Method: req.Method.String(), URI: cred.URI, Username: cred.Username, Password: pass, Cnonce: cred.Cnonce, Count: cred.Nc})
	return cred.Username, err == nil && want.Response == cred.Response
}

func (r *registrar) onRegister(req *sip.Request, tx sip.ServerTransaction) {
	if req.GetHeader("Authorization") == nil {
		res := sip.NewResponseFromRequest(req, 401, "Unauthorized", nil)
		res.AppendHeader(sip.NewHeader("WWW-Authenticate", r.challenge().String()))
		_ = tx.Respond(res)
		return
	}
	user, ok := r.verify(req, "Authorization")
	if !ok {
		if r.rechall {
			res := sip.NewResponseFromRequest(req, 401, "Unauthorized", nil)
			res.AppendHeader(sip.NewHeader("WWW-Authenticate", r.challenge().String()))
			_ = tx.Respond(res)
			return
		}
		_ = tx.Respond(sip.NewResponseFromRequest(req, 403, "Forbidden", nil))
		return
	}
	expires, _ := strconv.Atoi(req.GetHeader("Expires").Value())
	if r.grant > 0 && expires > 0 {
		expires = r.grant
	}
	contact := req.Contact()
	r.mu.Lock()
	r.accepted = append(r.accepted, regRecord{user: user, expires: expires, contact: contact.Address.String(), size: len(req.String()), rport: req.Via() != nil && req.Via().Params.Has("rport")})
	r.mu.Unlock()
	res := sip.NewResponseFromRequest(req, 200, "OK", nil)
	if r.pad > 0 {
		res.AppendHeader(sip.NewHeader("X-Pad", strings.Repeat("p", r.pad)))
	}
	if expires > 0 {
		c := contact.Clone()
		c.Params = sip.NewParams()
		c.Params.Add("expires", strconv.Itoa(expires))
		res.AppendHeader(c)
	}
	_ = tx.Respond(res)
	r.seen <- struct{}{}
}

func (r *registrar) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	if req.GetHeader("Proxy-Authorization") == nil {
		res := sip.NewResponseFromRequest(req, 407, "Proxy Authentication Required", nil)
		res.AppendHeader(sip.NewHeader("Proxy-Authenticate", r.challenge().String()))
		_ = tx.Respond(res)
		return
	}
	if _, ok := r.verify(req, "Proxy-Authorization"); !ok {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 403, "Forbidden", nil))
		return
	}
	r.mu.Lock()
	r.invites++
	r.mu.Unlock()
	_ = tx.Respond(sip.NewResponseFromRequest(req, 486, "Busy Here", nil))
}

func (r *registrar) records() []regRecord {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]regRecord(nil), r.accepted...)
}

// waitRegistrations waits until n REGISTERs were accepted.
func (r *registrar) waitRegistrations(ctx context.Context, n int) error {
	for len(r.records()) < n {
		select {
		case <-r.seen:
		case <-ctx.Done():
			return fmt.Errorf("%d registrations, want %d: %w", len(r.records()), n, ctx.Err())
		}
	}
	return nil
}

func TestRegisterDigest(t *testing.T) {
	for _, alg := range []string{"MD5", "SHA-256"} {
		t.Run(alg, func(t *testing.T) {
			checkLeaks(t)
			ctx := testCtx(t, 10*time.Second)
			reg := newRegistrar(t, alg, map[string]string{"1000": "secret1000"})
			ag := newTestAgent(t, Config{Target: reg.addr})
			p := newTestPhone(t, ag, PhoneConfig{Number: "1000", Password: "secret1000", Expires: 120 * time.Second})

			got, err := p.Register(ctx)
			if err != nil {
				t.Fatalf("Register: %v", err)
			}
			if got.Code != 200 || got.Expires != 120*time.Second {
				t.Fatalf("registration %+v", got)
			}
			recs := reg.records()
			if len(recs) != 1 || recs[0].user != "1000" || recs[0].contact != p.Contact() {
				t.Fatalf("registrar saw %+v, contact %s", recs, p.Contact())
			}
			if !recs[0].rport {
				t.Errorf("REGISTER without rport in its Via: a phone behind NAT would not get its responses (RFC 3581)")
			}
			un, err := p.Unregister(ctx)
			if err != nil || un.Code != 200 || un.Expires != 0 {
				t.Fatalf("Unregister: %+v %v", un, err)
			}
			if recs := reg.records(); len(recs) != 2 || recs[1].expires != 0 {
				t.Fatalf("unregister not seen as expires 0: %+v", recs)
			}
		})
	}
}

func TestRegisterWrongPassword(t *testing.T) {
	tests := []struct {
		name    string
		rechall bool
		code    int
	}{
		{"forbidden", false, 403},
		{"challenged again", true, 401},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkLeaks(t)
			ctx := testCtx(t, 10*time.Second)
			reg := newRegistrar(t, "MD5", map[string]string{"1000": "right"}, func(r *registrar) { r.rechall = tc.rechall })
			ag := newTestAgent(t, Config{Target: reg.addr})
			p := newTestPhone(t, ag, PhoneConfig{Number: "1000", Password: "wrong"})
			got, err := p.Register(ctx)
			if !errors.Is(err, ErrAuth) || StatusCode(err) != tc.code || got.Code != tc.code {
				t.Fatalf("Register = %+v, %v; want auth error %d", got, err, tc.code)
			}
			mustContain(t, err.Error(), strconv.Itoa(tc.code))
			if p.Registration().Code != tc.code {
				t.Fatalf("Registration() = %+v", p.Registration())
			}
		})
	}
}

func TestRegisterRefreshesOnTheClock(t *testing.T) {
	checkLeaks(t)
	ctx := testCtx(t, 10*time.Second)
	fake := clock.NewFake(time.Unix(1_000_000, 0))
	// The registrar shortens the 60 s asked for to 40 s.
	reg := newRegistrar(t, "SHA-256", map[string]string{"1000": "pw"}, func(r *registrar) { r.grant = 40 })
	refreshed := make(chan Registration, 4)
	ag := newTestAgent(t, Config{Target: reg.addr}, WithClock(fake))
	p := newTestPhone(t, ag, PhoneConfig{Number: "1000", Password: "pw", Expires: 60 * time.Second,
		OnRegister: func(r Registration, err error) {
			if err == nil {
				refreshed <- r
			}
		}})

	got, err := p.Register(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got.Expires != 40*time.Second {
		t.Fatalf("granted %v, want the registrar's 40s", got.Expires)
	}
	fake.Advance(19 * time.Second)
	select {
	case <-refreshed:
		t.Fatal("refreshed before half the granted lifetime")
	case <-time.After(100 * time.Millisecond):
	}
	fake.Advance(time.Second)
	if err := reg.waitRegistrations(ctx, 2); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-refreshed:
		if r.Code != 200 || !r.At.Equal(time.Unix(1_000_020, 0)) {
			t.Fatalf("refresh %+v", r)
		}
	case <-ctx.Done():
		t.Fatal("OnRegister not called for the refresh")
	}
	// And again 20 s later, then no more after Unregister.
	waitPending(t, ctx, fake)
	fake.Advance(20 * time.Second)
	if err := reg.waitRegistrations(ctx, 3); err != nil {
		t.Fatal(err)
	}
	<-refreshed
	if _, err := p.Unregister(ctx); err != nil {
		t.Fatal(err)
	}
	fake.Advance(time.Hour)
	time.Sleep(100 * time.Millisecond)
	if n := len(reg.records()); n != 4 {
		t.Fatalf("%d REGISTERs after unregister, want 4 (3 + the unregister)", n)
	}
}

// waitPending waits until the refresh timer is re-armed on the fake clock.
func waitPending(t *testing.T, ctx context.Context, fake *clock.Fake) {
	t.Helper()
	for fake.Pending() == 0 {
		select {
		case <-ctx.Done():
			t.Fatal("refresh timer never re-armed")
		case <-time.After(5 * time.Millisecond):
		}
	}
}

func TestRegisterWithoutTarget(t *testing.T) {
	checkLeaks(t)
	ag := newTestAgent(t, Config{})
	p := newTestPhone(t, ag, PhoneConfig{Number: "1"})
	if _, err := p.Register(testCtx(t, time.Second)); !errors.Is(err, ErrNoTarget) {
		t.Fatalf("Register without target = %v", err)
	}
}

// Dial goes through the Target and answers the proxy's 407 with digest.
func TestDialThroughProxyWithDigest(t *testing.T) {
	checkLeaks(t)
	ctx := testCtx(t, 10*time.Second)
	reg := newRegistrar(t, "MD5", map[string]string{"1000": "pw"})
	ag := newTestAgent(t, Config{Target: reg.addr})
	p := newTestPhone(t, ag, PhoneConfig{Number: "1000", Password: "pw"})
	call, err := p.Dial(ctx, "2000")
	if err != nil {
		t.Fatal(err)
	}
	if err := call.WaitAnswer(ctx); StatusCode(err) != 486 {
		t.Fatalf("WaitAnswer = %v, want 486 after authenticating", err)
	}
	reg.mu.Lock()
	n := reg.invites
	reg.mu.Unlock()
	if n != 1 {
		t.Fatalf("registrar saw %d authenticated INVITEs", n)
	}
	if call.Remote() != "2000" {
		t.Fatalf("remote %q", call.Remote())
	}
}

func TestFirstRefreshSpread(t *testing.T) {
	for _, tc := range []struct {
		frac float64
		want time.Duration
	}{
		{0, 20 * time.Second}, {0.5, 20 * time.Second}, {0.9, 36 * time.Second},
		{0.625, 25 * time.Second}, {1, 20 * time.Second}, {-0.1, 20 * time.Second}, {math.NaN(), 20 * time.Second},
	} {
		if got := firstRefresh(40*time.Second, tc.frac); got != tc.want {
			t.Errorf("firstRefresh(40s, %v) = %v, want %v", tc.frac, got, tc.want)
		}
	}
}

// With FirstRefresh 0.8 the first refresh of a 40 s binding comes at 32 s,
// the next at half the lifetime granted then (20 s later).
func TestRegisterFirstRefreshSpread(t *testing.T) {
	checkLeaks(t)
	ctx := testCtx(t, 10*time.Second)
	fake := clock.NewFake(time.Unix(1_000_000, 0))
	reg := newRegistrar(t, "MD5", map[string]string{"1000": "pw"}, func(r *registrar) { r.grant = 40 })
	refreshed := make(chan Registration, 4)
	ag := newTestAgent(t, Config{Target: reg.addr}, WithClock(fake))
	p := newTestPhone(t, ag, PhoneConfig{Number: "1000", Password: "pw", Expires: 60 * time.Second, FirstRefresh: 0.8,
		OnRegister: func(r Registration, err error) {
			if err == nil {
				refreshed <- r
			}
		}})
	if _, err := p.Register(ctx); err != nil {
		t.Fatal(err)
	}
	fake.Advance(31 * time.Second)
	select {
	case <-refreshed:
		t.Fatal("refreshed before 0.8 of the granted lifetime")
	case <-time.After(100 * time.Millisecond):
	}
	fake.Advance(time.Second)
	select {
	case r := <-refreshed:
		if !r.At.Equal(time.Unix(1_000_032, 0)) {
			t.Fatalf("first refresh at %v, want +32s", r.At)
		}
	case <-ctx.Done():
		t.Fatal("no first refresh")
	}
	waitPending(t, ctx, fake)
	fake.Advance(20 * time.Second)
	select {
	case r := <-refreshed:
		if !r.At.Equal(time.Unix(1_000_052, 0)) {
			t.Fatalf("second refresh at %v, want +52s", r.At)
		}
	case <-ctx.Done():
		t.Fatal("no second refresh")
	}
	if _, err := p.Unregister(ctx); err != nil {
		t.Fatal(err)
	}
}
