package carrier

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/testua"
)

// authorized sends req and answers the carrier's challenge as trunk/secret.
func authorized(t *testing.T, ctx context.Context, u *testua.UA, req *sip.Request) *sip.Response {
	t.Helper()
	res, err := u.Do(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 401 {
		return res
	}
	if req, err = testua.Authorize(req, res, "trunk", "secret"); err != nil {
		t.Fatal(err)
	}
	if res, err = u.Do(ctx, req); err != nil {
		t.Fatal(err)
	}
	return res
}

// TestRegisterQueryAndWildcard: a REGISTER without Contact lists the
// binding (RFC 3261 §10.2.3) without changing it; "*" with Expires: 0
// removes it, "*" with a lifetime is a 400 (§10.3 step 6).
func TestRegisterQueryAndWildcard(t *testing.T) {
	ctx := testCtx(t, 10*time.Second)
	c := newCarrier(t, Config{})
	u := newUA(t, c)
	reg := testua.Registration{User: "trunk", Password: "secret", Domain: c.Domain(), Expires: 600}
	res, err := u.Register(ctx, reg)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("REGISTER: %v %v", res, err)
	}
	contact, _, ok := c.Registered("trunk")
	if !ok {
		t.Fatal("not registered")
	}

	query := u.NewRegister(reg)
	query.RemoveHeader("Contact")
	res = authorized(t, ctx, u, query)
	if res.StatusCode != 200 || res.Contact() == nil || !strings.Contains(res.Contact().Address.String(), strings.TrimPrefix(contact, "sip:")) {
		t.Fatalf("query answered %v, want 200 listing %s", res, contact)
	}
	if b, ok := c.Binding("trunk"); !ok || b.Registrations != 1 {
		t.Errorf("binding %+v after a query: want it unchanged", b)
	}

	bad := u.NewRegister(testua.Registration{User: "trunk", Domain: c.Domain(), Contact: "*", Expires: 60})
	if res := authorized(t, ctx, u, bad); res.StatusCode != 400 {
		t.Errorf("* with a lifetime: %d, want 400", res.StatusCode)
	}
	all := u.NewRegister(testua.Registration{User: "trunk", Domain: c.Domain(), Contact: "*", Expires: 0})
	if res := authorized(t, ctx, u, all); res.StatusCode != 200 {
		t.Fatalf("* with Expires 0: %d", res.StatusCode)
	}
	if _, _, ok := c.Registered("trunk"); ok {
		t.Error("still registered after *")
	}
}

func TestRequestsCounted(t *testing.T) {
	ctx := testCtx(t, 10*time.Second)
	c := newCarrier(t, Config{})
	u := newUA(t, c)
	for range 2 {
		res, err := u.Do(ctx, u.NewRequest(sip.OPTIONS, "sip:"+c.Addr().String()))
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("OPTIONS: %v %v", res, err)
		}
	}
	if got := c.Requests("OPTIONS"); got != 2 {
		t.Errorf("Requests(OPTIONS) = %d, want 2", got)
	}
}
