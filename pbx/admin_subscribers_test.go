package pbx_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"pbxlab/internal/leakcheck"
	"pbxlab/pbx/config"
	"pbxlab/pbx/pbxtest"
	"pbxlab/sim/phone"
)

const adminToken = "test-admin-token-0123456789"

// apiClient calls the admin API of a test PBX.
type apiClient struct {
	t     *testing.T
	base  string
	token string
}

func newAPI(t *testing.T, in *pbxtest.Instance, token string) *apiClient {
	t.Helper()
	ap, ok := in.AdminAddr()
	if !ok {
		t.Fatal("admin server off")
	}
	return &apiClient{t: t, base: "http://" + ap.String(), token: token}
}

// do sends method path with body (JSON unless "") and returns the status
// and the decoded JSON answer (nil for an empty one).
func (a *apiClient) do(ctx context.Context, method, path, body string) (int, map[string]any) {
	a.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, rd)
	if err != nil {
		a.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if a.token != "" {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		a.t.Fatal(err)
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return res.StatusCode, nil
	}
	if ct := res.Header.Get("Content-Type"); ct != "application/json" {
		a.t.Errorf("%s %s: Content-Type %q", method, path, ct)
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		a.t.Fatalf("%s %s: %d %q is not a JSON object: %v", method, path, res.StatusCode, raw, err)
	}
	return res.StatusCode, out
}

// must wants status want.
func (a *apiClient) must(ctx context.Context, want int, method, path, body string) map[string]any {
	a.t.Helper()
	code, out := a.do(ctx, method, path, body)
	if code != want {
		a.t.Fatalf("%s %s %s = %d %v, want %d", method, path, body, code, out, want)
	}
	return out
}

// adminPBX is the demo PBX with the admin API on and the suspended prompt
// a 2 s US dial tone (350+440 Hz, which a phone's audio check can tell).
func adminPBX(t *testing.T, token string, tweak func(*config.Config)) *pbxtest.Instance {
	return startPBX(t, func(c *config.Config) {
		c.Admin.Listen = "127.0.0.1:0"
		c.Admin.Token = config.Secret(token)
		c.Media.TonePlan = "us"
		c.Media.Prompts = map[string]config.Prompt{config.CauseSuspended: {Tone: "dial", Duration: 2 * time.Second}}
		if tweak != nil {
			tweak(c)
		}
	}, pbxtest.Options{})
}

// TestAdminSubscriberAuth: the API wants the bearer token; without a
// token configured it is off (403), never open.
func TestAdminSubscriberAuth(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	in := adminPBX(t, adminToken, nil)
	for _, tc := range []struct {
		name, token string
		want        int
	}{
		{"no token", "", http.StatusUnauthorized},
		{"wrong token", adminToken + "x", http.StatusUnauthorized},
		{"prefix of the token", adminToken[:16], http.StatusUnauthorized},
		{"token", adminToken, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := newAPI(t, in, tc.token)
			for _, p := range []struct{ method, path, body string }{
				{"GET", "/api/v1/subscribers/1000", ""},
				{"POST", "/api/v1/subscribers/1000/suspend", ""},
			} {
				code, out := a.do(ctx, p.method, p.path, p.body)
				if code != tc.want {
					t.Errorf("%s %s = %d %v, want %d", p.method, p.path, code, out, tc.want)
				}
				if code == http.StatusUnauthorized && out["error"] == nil {
					t.Errorf("401 without a JSON error: %v", out)
				}
			}
		})
	}
	// the wrong tokens changed nothing; the right one suspended 1000
	if out := newAPI(t, in, adminToken).must(ctx, 200, "GET", "/api/v1/subscribers/1000", ""); out["state"] != "suspended" {
		t.Errorf("1000 = %v", out)
	}

	off := adminPBX(t, "", nil)
	for _, tok := range []string{"", adminToken} {
		if code, out := newAPI(t, off, tok).do(ctx, "GET", "/api/v1/subscribers", ""); code != http.StatusForbidden {
			t.Errorf("API without admin.token, token %q: %d %v, want 403", tok, code, out)
		}
	}
	if code, _, _ := httpGet(ctx, t, newAPI(t, off, "").base+"/healthz"); code != http.StatusOK {
		t.Errorf("/healthz = %d with the API off", code)
	}
}

// TestAdminSubscriberErrors: bad requests get clear JSON errors.
func TestAdminSubscriberErrors(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	in := adminPBX(t, adminToken, func(c *config.Config) {
		c.Conferences = []config.Conference{{Number: "7000", MaxParties: 3}}
		c.Numbering.Entries = []config.NumberingEntry{{Prefix: "8000", Min: 4, Max: 4, Kind: "reject", Cause: 403}}
	})
	a := newAPI(t, in, adminToken)
	for _, tc := range []struct {
		name, method, path, body string
		code                     int
		field                    string
	}{
		{"unknown GET", "GET", "/api/v1/subscribers/2999", "", 404, ""},
		{"unknown suspend", "POST", "/api/v1/subscribers/2999/suspend", "", 404, ""},
		{"unknown resume", "POST", "/api/v1/subscribers/2999/resume", "", 404, ""},
		{"unknown delete", "DELETE", "/api/v1/subscribers/2999", "", 404, ""},
		{"no such endpoint", "GET", "/api/v1/nothing", "", 404, ""},
		{"wrong method", "PUT", "/api/v1/subscribers/1000", "", 405, ""},
		{"wrong method on the list", "DELETE", "/api/v1/subscribers", "", 405, ""},
		{"exists", "POST", "/api/v1/subscribers", `{"number":"1000","password":"x"}`, 409, "number"},
		{"conference number", "POST", "/api/v1/subscribers", `{"number":"7000","password":"x"}`, 409, "number"},
		{"numbering plan entry", "POST", "/api/v1/subscribers", `{"number":"8000","password":"x"}`, 409, "number"},
		{"no number", "POST", "/api/v1/subscribers", `{"password":"x"}`, 400, "number"},
		{"letters", "POST", "/api/v1/subscribers", `{"number":"20a1","password":"x"}`, 400, "number"},
		{"no password", "POST", "/api/v1/subscribers", `{"number":"2001"}`, 400, "password"},
		{"unknown realm", "POST", "/api/v1/subscribers", `{"number":"2001","password":"x","realm":"elsewhere"}`, 400, "realm"},
		{"unknown device", "POST", "/api/v1/subscribers", `{"number":"2001","password":"x","device":"gw9"}`, 400, "device"},
		{"quote in name", "POST", "/api/v1/subscribers", `{"number":"2001","password":"x","display_name":"a\"b"}`, 400, "display_name"},
		{"unknown field", "POST", "/api/v1/subscribers", `{"number":"2001","password":"x","colour":"red"}`, 400, "colour"},
		{"wrong type", "POST", "/api/v1/subscribers", `{"number":2001,"password":"x"}`, 400, "number"},
		{"not JSON", "POST", "/api/v1/subscribers", `number=2001`, 400, ""},
		{"two objects", "POST", "/api/v1/subscribers", `{"number":"2001","password":"x"} {}`, 400, ""},
		{"bad limit", "GET", "/api/v1/subscribers?limit=0", "", 400, "limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out := a.do(ctx, tc.method, tc.path, tc.body)
			if code != tc.code || out["error"] == nil || out["error"] == "" {
				t.Fatalf("%d %v, want %d with an error", code, out, tc.code)
			}
			if got, _ := out["field"].(string); got != tc.field {
				t.Errorf("field %q, want %q (%v)", got, tc.field, out)
			}
		})
	}
	// nothing was added
	if code, _ := a.do(ctx, "GET", "/api/v1/subscribers/2001", ""); code != 404 {
		t.Errorf("2001 exists after refused adds: %d", code)
	}
}

// TestAdminSubscriberList: the list pages through every subscriber by
// number and never shows a password.
func TestAdminSubscriberList(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	a := newAPI(t, adminPBX(t, adminToken, nil), adminToken)
	a.must(ctx, 201, "POST", "/api/v1/subscribers", `{"number":"2001","password":"secret-pw","display_name":"Ann"}`)
	a.must(ctx, 204, "DELETE", "/api/v1/subscribers/1001", "")
	var numbers []string
	after := ""
	for range 20 {
		out := a.must(ctx, 200, "GET", "/api/v1/subscribers?limit=30&after="+after, "")
		for _, s := range out["subscribers"].([]any) {
			m := s.(map[string]any)
			if _, ok := m["password"]; ok {
				t.Fatalf("password shown: %v", m)
			}
			numbers = append(numbers, m["number"].(string))
		}
		next, _ := out["next"].(string)
		if next == "" {
			break
		}
		after = next
	}
	// demo 1000-1099 less 1001, plus 2001
	if len(numbers) != 100 || !slices.IsSorted(numbers) || slices.Contains(numbers, "1001") || numbers[99] != "2001" {
		t.Errorf("listed %d: %v", len(numbers), numbers)
	}
}

// TestAdminSubscriberLifecycle: add → the phone registers with its
// password and is called; suspend → its calls hear the suspended prompt,
// then 403 (made) and 480 (received), its registration kept; resume →
// calls again; delete → its registrations dropped, REGISTER 404, calls
// to it 404.
func TestAdminSubscriberLifecycle(t *testing.T) {
	leakcheck.Check(t)
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	in := adminPBX(t, adminToken, nil)
	a := newAPI(t, in, adminToken)

	out := a.must(ctx, 201, "POST", "/api/v1/subscribers", `{"number":"2001","password":"pw-2001-new","display_name":"New One"}`)
	if out["number"] != "2001" || out["state"] != "active" || out["source"] != "runtime" || out["realm"] != "pbxlab" {
		t.Errorf("added %v", out)
	}
	ps := registered(ctx, t, in.Target(), phone.Config{}, "1000")
	wrong := newTestPhone(t, newAgent(t, in.Target()), phone.PhoneConfig{Number: "2001", Password: "demo2001"})
	if _, err := wrong.Register(ctx); phone.StatusCode(err) != 403 && phone.StatusCode(err) != 401 {
		t.Errorf("REGISTER with a wrong password: %v", err)
	}
	p := newTestPhone(t, newAgent(t, in.Target()), phone.PhoneConfig{Number: "2001", Password: "pw-2001-new"})
	if _, err := p.Register(ctx); err != nil {
		t.Fatalf("register the added subscriber: %v", err)
	}
	c, callee := talk(ctx, t, ps["1000"], p)
	hangup(ctx, t, c, callee)

	a.must(ctx, 200, "POST", "/api/v1/subscribers/2001/suspend", "")
	suspendedCall(ctx, t, p, "1000", 403)
	suspendedCall(ctx, t, ps["1000"], "2001", 480)
	if bs, err := in.Registrar().Lookup(ctx, "2001"); err != nil || len(bs) != 1 {
		t.Errorf("suspended subscriber's bindings %v %v, want its one", bs, err)
	}

	if out := a.must(ctx, 200, "POST", "/api/v1/subscribers/2001/resume", ""); out["state"] != "active" {
		t.Errorf("resumed %v", out)
	}
	c, callee = talk(ctx, t, p, ps["1000"])
	hangup(ctx, t, c, callee)

	a.must(ctx, 204, "DELETE", "/api/v1/subscribers/2001", "")
	if bs, err := in.Registrar().Lookup(ctx, "2001"); err != nil || len(bs) != 0 {
		t.Errorf("deleted subscriber's bindings %v %v", bs, err)
	}
	if _, err := p.Register(ctx); err == nil {
		t.Error("a deleted subscriber registered")
	} else if code := phone.StatusCode(err); code != 404 && code != 401 && code != 403 {
		t.Errorf("REGISTER of a deleted subscriber: %v", err)
	}
	failedCall(ctx, t, ps["1000"], "2001", 404)
}

func newAgent(t *testing.T, target string) *phone.Agent {
	t.Helper()
	ag, err := phone.NewAgent(phone.Config{Target: target})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ag.Close() })
	return ag
}

func hangup(ctx context.Context, t *testing.T, c, callee *phone.Call) {
	t.Helper()
	if err := c.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := callee.Wait(ctx); err != nil {
		t.Fatal(err)
	}
}

// suspendedCall: from dials number, hears the dial tone (the suspended
// prompt) in early media, then the call fails with code.
func suspendedCall(ctx context.Context, t *testing.T, from *testPhone, number string, code int) {
	t.Helper()
	c, err := from.Dial(ctx, number)
	if err != nil {
		t.Fatal(err)
	}
	lctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := c.WaitRinging(lctx); err != nil {
		t.Fatalf("%s calling %s: no 183: %v", from.Number(), number, err)
	}
	for !c.EarlyMedia() { // the 183's SDP is taken just after the ringing signal
		select {
		case <-lctx.Done():
			t.Fatalf("%s calling %s: %v but no early media", from.Number(), number, c.Provisional())
		case <-time.After(5 * time.Millisecond):
		}
	}
	if _, err := c.Listen(lctx, phone.Identity{Low: 350, High: 440}); err != nil {
		t.Errorf("%s calling %s does not hear the suspended prompt: %v", from.Number(), number, err)
	}
	if _, err := c.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	if c.Code() != code || !slices.Contains(c.Provisional(), 183) {
		t.Errorf("%s calling %s: %d after %v, want %d after 183", from.Number(), number, c.Code(), c.Provisional(), code)
	}
}

// failedCall: from dials number and the call fails with code.
func failedCall(ctx context.Context, t *testing.T, from *testPhone, number string, code int) *phone.Call {
	t.Helper()
	c, err := from.Dial(ctx, number)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	if c.Code() != code {
		t.Errorf("%s calling %s: %d, want %d", from.Number(), number, c.Code(), code)
	}
	return c
}

// TestAdminSubscriberRestart: the changes outlive the PBX: a new PBX on the
// same store has the added subscriber (with its password), the suspension
// and the deletion.
func TestAdminSubscriberRestart(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	db := filepath.Join(t.TempDir(), "pbx.db")
	withStore := func(c *config.Config) { c.Store.Path = db }
	first := adminPBX(t, adminToken, withStore)
	a := newAPI(t, first, adminToken)
	a.must(ctx, 201, "POST", "/api/v1/subscribers", `{"number":"2001","password":"pw-2001-new"}`)
	a.must(ctx, 200, "POST", "/api/v1/subscribers/1000/suspend", "")
	a.must(ctx, 204, "DELETE", "/api/v1/subscribers/1001", "")
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}

	second := adminPBX(t, adminToken, withStore)
	a = newAPI(t, second, adminToken)
	if out := a.must(ctx, 200, "GET", "/api/v1/subscribers/2001", ""); out["source"] != "runtime" || out["state"] != "active" {
		t.Errorf("2001 after restart: %v", out)
	}
	if out := a.must(ctx, 200, "GET", "/api/v1/subscribers/1000", ""); out["state"] != "suspended" || out["source"] != "config" {
		t.Errorf("1000 after restart: %v", out)
	}
	a.must(ctx, 404, "GET", "/api/v1/subscribers/1001", "")
	// the restored subscriber authenticates with its password and is in
	// the numbering plan
	ps := registered(ctx, t, second.Target(), phone.Config{}, "1002")
	p := newTestPhone(t, newAgent(t, second.Target()), phone.PhoneConfig{Number: "2001", Password: "pw-2001-new"})
	if _, err := p.Register(ctx); err != nil {
		t.Fatalf("register 2001 after restart: %v", err)
	}
	c, callee := talk(ctx, t, ps["1002"], p)
	hangup(ctx, t, c, callee)
	failedCall(ctx, t, ps["1002"], "1001", 404)
}

// TestAdminSubscriberSuspendedNoMedia: with the media server off a
// suspended subscriber's call gets the plain 403, without early media.
func TestAdminSubscriberSuspendedNoMedia(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	in := adminPBX(t, adminToken, func(c *config.Config) { c.Media.Enabled = false })
	ps := registered(ctx, t, in.Target(), phone.Config{}, "1000", "1001")
	newAPI(t, in, adminToken).must(ctx, 200, "POST", "/api/v1/subscribers/1000/suspend", "")
	for _, c := range []*phone.Call{failedCall(ctx, t, ps["1000"], "1001", 403), failedCall(ctx, t, ps["1001"], "1000", 480)} {
		if c.EarlyMedia() || slices.Contains(c.Provisional(), 183) {
			t.Errorf("early media with the media server off: %v", c.Provisional())
		}
	}
	if n := len(ps["1000"].in) + len(ps["1001"].in); n != 0 {
		t.Errorf("%d calls reached a phone", n)
	}
}
