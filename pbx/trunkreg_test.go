package pbx_test

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"

	"pbxlab/internal/testua"
	"pbxlab/pbx"
	"pbxlab/pbx/config"
	"pbxlab/pbx/pbxtest/vnet"
)

// fakeRegistrar is a carrier's registrar on a test UA: digest (MD5,
// realm carrier.test) with user/password, 401 to a REGISTER without
// valid credentials, 423 with Min-Expires below minExpires, else 200
// granting min(asked, grant) seconds in the Contact's expires parameter.
type fakeRegistrar struct {
	user, password    string
	grant, minExpires int

	mu   sync.Mutex
	seen []regSeen
}

// regSeen is one REGISTER the registrar received and its answer.
type regSeen struct {
	req     *sip.Request
	expires int
	code    int
}

var carrierChallenge = &digest.Challenge{Realm: "carrier.test", Nonce: "0a4f113b", Algorithm: "MD5"}

// serve answers c's REGISTERs until ctx ends.
func (f *fakeRegistrar) serve(ctx context.Context, c *testua.UA) {
	for {
		in, err := c.AwaitIncoming(ctx, testua.Method(sip.REGISTER))
		if err != nil {
			return
		}
		req := in.Request()
		expires := -1
		if h := req.GetHeader("Expires"); h != nil {
			expires, _ = strconv.Atoi(h.Value())
		}
		var res *sip.Response
		switch {
		case !f.authorised(req):
			res = in.NewResponse(401, "Unauthorized")
			res.AppendHeader(sip.NewHeader("WWW-Authenticate", carrierChallenge.String()))
		case expires > 0 && expires < f.minExpires:
			res = in.NewResponse(423, "Interval Too Brief")
			res.AppendHeader(sip.NewHeader("Min-Expires", strconv.Itoa(f.minExpires)))
		default:
			res = in.NewResponse(200, "OK")
			granted := min(expires, f.grant)
			if ct, ok := req.GetHeader("Contact").(*sip.ContactHeader); ok && expires > 0 {
				c := ct.Clone()
				c.Params.Add("expires", strconv.Itoa(granted))
				res.AppendHeader(c)
			}
		}
		f.mu.Lock()
		f.seen = append(f.seen, regSeen{req: req, expires: expires, code: res.StatusCode})
		f.mu.Unlock()
		_ = in.Respond(res)
	}
}

// authorised checks the REGISTER's Authorization against the challenge.
func (f *fakeRegistrar) authorised(req *sip.Request) bool {
	h := req.GetHeader("Authorization")
	if h == nil {
		return false
	}
	cred, err := digest.ParseCredentials(h.Value())
	if err != nil || cred.Username != f.user || cred.Realm != carrierChallenge.Realm {
		return false
	}
	want, err := digest.Digest(carrierChallenge, digest.Options{Method: "REGISTER", URI: cred.URI, Username: f.user, Password: f.password})
	return err == nil && want.Response == cred.Response
}

// answered lists the REGISTERs answered with code (0: all).
func (f *fakeRegistrar) answered(code int) []regSeen {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []regSeen
	for _, s := range f.seen {
		if code == 0 || s.code == code {
			out = append(out, s)
		}
	}
	return out
}

// trunkConfig is trustingPhones with a peer "carrier" at 10.0.0.201 that
// the PBX registers with as pbx01 (password s3cret, contact user trunk1).
func trunkConfig(reg config.TrunkRegister) *config.Config {
	cfg := trustingPhones()
	cfg.Peers = []config.Peer{{Name: "carrier", Host: "10.0.0.201", Username: "pbx01", Password: "s3cret", Register: &reg}}
	return cfg
}

// startCarrier opens the carrier's UA at 10.0.0.201:5060 (no automatic
// answer to REGISTER) and serves f on it.
func startCarrier(ctx context.Context, t *testing.T, h *vnet.Harness, f *fakeRegistrar) *testua.UA {
	t.Helper()
	c := virtualCarrierAuto(t, h, "10.0.0.201:5060", testua.DefaultAuto&^testua.AutoOther&^testua.AutoRinging)
	if f != nil {
		go f.serve(ctx, c)
	}
	return c
}

func registration(t *testing.T, h *vnet.Harness) pbx.TrunkRegistration {
	t.Helper()
	r, ok := h.PBX.TrunkRegistration("carrier")
	if !ok {
		t.Fatal("no registration for peer carrier")
	}
	return r
}

// TestVirtualTrunkRegistration: the PBX registers with the carrier at
// start, answering its 401 with the peer's credentials; To/From are the
// AOR, the Contact user is register.contact_user, every REGISTER shares
// one Call-ID with a rising CSeq. The carrier grants 600 s of the 3600
// asked: the PBX refreshes after 300 s (half, under the 5 min margin),
// not sooner, and on Close removes its binding (Expires: 0).
func TestVirtualTrunkRegistration(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		f := &fakeRegistrar{user: "pbx01", password: "s3cret", grant: 600}
		h := startVirtual(t, trunkConfig(config.TrunkRegister{ContactUser: "trunk1", Domain: "carrier.test"}))
		startCarrier(ctx, t, h, f)
		time.Sleep(time.Second)
		synctest.Wait()

		r := registration(t, h)
		if !r.Registered || r.Expires != 600*time.Second || r.Code != 200 || r.Refreshes != 1 {
			t.Fatalf("after start: %+v, want registered for 600s", r)
		}
		if v, ok := pbx.GaugeValue(h.PBX, "pbxlab_trunk_registered", "carrier"); !ok || v != 1 {
			t.Errorf("pbxlab_trunk_registered{peer=carrier} = %v (%v), want 1", v, ok)
		}
		seen := f.answered(0)
		if len(seen) != 2 || seen[0].code != 401 || seen[1].code != 200 {
			t.Fatalf("REGISTERs: %d, want the challenged one and the authorised one", len(seen))
		}
		req := seen[1].req
		if got := req.Recipient.String(); got != "sip:carrier.test" {
			t.Errorf("Request-URI %s, want sip:carrier.test", got)
		}
		if to, from := req.To().Address, req.From().Address; to.User != "pbx01" || to.Host != "carrier.test" || from.User != "pbx01" {
			t.Errorf("To %s From %s, want the AOR sip:pbx01@carrier.test", to.String(), from.String())
		}
		if ct, ok := req.GetHeader("Contact").(*sip.ContactHeader); !ok || ct.Address.User != "trunk1" || ct.Address.Host != h.Addr.Addr().String() {
			t.Errorf("Contact %v, want trunk1 at the PBX", req.GetHeader("Contact"))
		}
		if seen[0].req.CallID().Value() != req.CallID().Value() || req.CSeq().SeqNo != seen[0].req.CSeq().SeqNo+1 {
			t.Error("the authorised REGISTER does not continue the first's Call-ID and CSeq")
		}
		if seen[1].expires != 3600 {
			t.Errorf("asked for %d s, want the default 3600", seen[1].expires)
		}

		time.Sleep(298 * time.Second) // 299 s after the registration
		synctest.Wait()
		if n := len(f.answered(200)); n != 1 {
			t.Fatalf("%d successful REGISTERs before half the granted 600 s, want 1", n)
		}
		time.Sleep(2 * time.Second)
		synctest.Wait()
		ok := f.answered(200)
		if len(ok) != 2 || registration(t, h).Refreshes != 2 {
			t.Fatalf("%d successful REGISTERs after 300 s, want the refresh", len(ok))
		}
		if ok[1].req.CallID().Value() != req.CallID().Value() || ok[1].req.CSeq().SeqNo <= req.CSeq().SeqNo {
			t.Error("the refresh is not in the registration's Call-ID with a higher CSeq")
		}

		if err := h.PBX.Close(); err != nil {
			t.Fatal(err)
		}
		last := f.answered(0)
		if u := last[len(last)-1]; u.expires != 0 || u.code != 200 {
			t.Errorf("last REGISTER: Expires %d answered %d, want the unREGISTER (0) answered 200", u.expires, u.code)
		}
		if r := registration(t, h); r.Registered {
			t.Errorf("after Close: %+v", r)
		}
	})
}

// TestVirtualTrunkRegistrationFailures: credentials the registrar refuses,
// and a silent registrar, leave the trunk unregistered with the cause,
// the failure counted, and a new attempt after register.retry; a 423
// makes the PBX ask again with Min-Expires at once.
func TestVirtualTrunkRegistrationFailures(t *testing.T) {
	for _, tc := range []struct {
		name     string
		f        *fakeRegistrar // nil: silent
		want     string         // in the state's Error
		attempts int            // REGISTERs per attempt
	}{
		{"wrong password", &fakeRegistrar{user: "pbx01", password: "other", grant: 3600}, "401", 2},
		{"unknown user", &fakeRegistrar{user: "someone", password: "s3cret", grant: 3600}, "401", 2},
		{"silent", nil, "no answer", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				h := startVirtual(t, trunkConfig(config.TrunkRegister{Retry: 45 * time.Second}))
				c := startCarrier(ctx, t, h, tc.f)
				if tc.f == nil {
					c.SetAuto(0)
				}
				time.Sleep(40 * time.Second) // past Timer F (32 s)
				synctest.Wait()
				r := registration(t, h)
				if r.Registered || !strings.Contains(r.Error, tc.want) {
					t.Fatalf("state %+v, want unregistered because of %q", r, tc.want)
				}
				if v, _ := pbx.GaugeValue(h.PBX, "pbxlab_trunk_registered", "carrier"); v != 0 {
					t.Errorf("pbxlab_trunk_registered = %v, want 0", v)
				}
				if v, _ := pbx.GaugeValue(h.PBX, "pbxlab_trunk_register_failures_total", "carrier"); v != 1 {
					t.Errorf("pbxlab_trunk_register_failures_total = %v, want 1", v)
				}
				if tc.f == nil {
					return
				}
				if n := len(tc.f.answered(0)); n != tc.attempts {
					t.Errorf("%d REGISTERs in the first attempt, want %d (one challenge answered, no more)", n, tc.attempts)
				}
				time.Sleep(10 * time.Second) // 50 s: 45 s after the failure
				synctest.Wait()
				if n := len(tc.f.answered(0)); n != 2*tc.attempts {
					t.Errorf("%d REGISTERs after register.retry, want %d", n, 2*tc.attempts)
				}
			})
		})
	}

	t.Run("423", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			f := &fakeRegistrar{user: "pbx01", password: "s3cret", grant: 100000, minExpires: 7200}
			h := startVirtual(t, trunkConfig(config.TrunkRegister{}))
			startCarrier(ctx, t, h, f)
			time.Sleep(time.Second)
			synctest.Wait()
			r := registration(t, h)
			if !r.Registered || r.Expires != 7200*time.Second {
				t.Fatalf("state %+v, want registered for Min-Expires 7200 s", r)
			}
			var codes []int
			for _, s := range f.answered(0) {
				codes = append(codes, s.code)
			}
			if len(codes) != 4 || codes[1] != 423 || f.answered(200)[0].expires != 7200 {
				t.Errorf("answers %v, want 401 423 401 200 with the last asking 7200 s", codes)
			}
		})
	})
}
