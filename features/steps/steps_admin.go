package steps

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/cucumber/godog"

	"pbxlab/pbx/config"
)

// registerAdminSteps: subscriber management through the PBX's admin API
// (manual, Call Services ch. 2; pbx/admin_subscribers.go). The in-process
// PBX only: the scenario turns the API on with a token of its own
// (admin.listen on an ephemeral loopback port), and the administrator's
// steps are JSON requests to it. A subscriber added by the API gets its
// scenario number and password here, so the phone steps work for it.
func registerAdminSteps(sc *godog.ScenarioContext) {
	sc.Given(`^the PBX's admin API is on$`, step0(adminOn))
	sc.Step(`^the administrator adds subscriber (\d+) with password "([^"]+)"$`, step2(adminAdd))
	sc.Step(`^the administrator (suspends|resumes|deletes) subscriber (\d+)$`, step2(adminChange))
	sc.Then(`^the admin API shows subscriber (\d+) as (active|suspended)$`, step2(adminShows))
	sc.Then(`^the admin API has no subscriber (\d+)$`, step1(adminHasNone))
	sc.Then(`^the admin API refuses a request (without the token|with a wrong token) with (\d+)$`, step2(adminRefuses))
	sc.Step(`^phone (\d+) registers(?: again)?$`, step1(registerAgain))
}

// adminScenario is the scenario's admin API: its token.
type adminScenario struct{ token string }

func adminOn(_ context.Context, w *world) error {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return err
	}
	w.admin = &adminScenario{token: hex.EncodeToString(b[:])}
	return w.configure(func(c *config.Config) error {
		c.Admin.Listen = "127.0.0.1:0"
		c.Admin.Token = config.Secret(w.admin.token)
		return nil
	})
}

// adminRequest sends a request to the started PBX's admin API and returns
// the status and the JSON answer (nil when empty).
func adminRequest(ctx context.Context, w *world, token, method, path, body string) (int, map[string]any, error) {
	if w.admin == nil {
		return 0, nil, fmt.Errorf("%w: the admin API is off (Given the PBX's admin API is on)", ErrUsage)
	}
	if _, err := w.endpoint(ctx); err != nil {
		return 0, nil, err
	}
	s, ok := w.sess.(*inProcessSession)
	if !ok {
		return 0, nil, fmt.Errorf("%w: the admin API steps need the in-process PBX", ErrUsage)
	}
	s.mu.Lock()
	ap, ok := s.inst.AdminAddr()
	s.mu.Unlock()
	if !ok {
		return 0, nil, fmt.Errorf("%w: the PBX serves no admin API", ErrExpectation)
	}
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(wctx, method, "http://"+ap.String()+path, rd)
	if err != nil {
		return 0, nil, err
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("%w: %s %s: %w", ErrExpectation, method, path, err)
	}
	defer func() { _ = res.Body.Close() }()
	raw, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return 0, nil, fmt.Errorf("%w: %s %s: %w", ErrExpectation, method, path, err)
	}
	var out map[string]any
	if len(strings.TrimSpace(string(raw))) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			return res.StatusCode, nil, fmt.Errorf("%w: %s %s: %d %q is not JSON: %w", ErrExpectation, method, path, res.StatusCode, raw, err)
		}
	}
	return res.StatusCode, out, nil
}

// adminMust sends an authorised request and wants status want.
func adminMust(ctx context.Context, w *world, want int, method, path, body string) (map[string]any, error) {
	if w.admin == nil {
		return nil, fmt.Errorf("%w: the admin API is off (Given the PBX's admin API is on)", ErrUsage)
	}
	code, out, err := adminRequest(ctx, w, w.admin.token, method, path, body)
	if err != nil {
		return nil, err
	}
	if code != want {
		return out, fmt.Errorf("%w: %s %s: %d %v, want %d", ErrExpectation, method, path, code, out, want)
	}
	return out, nil
}

func adminAdd(ctx context.Context, w *world, name, password string) error {
	body, err := json.Marshal(map[string]string{"number": name, "password": password})
	if err != nil {
		return err
	}
	if _, err := adminMust(ctx, w, http.StatusCreated, http.MethodPost, "/api/v1/subscribers", string(body)); err != nil {
		return err
	}
	w.mu.Lock()
	w.subs[name] = Subscriber{Number: name, Password: password}
	w.mu.Unlock()
	return nil
}

func adminChange(ctx context.Context, w *world, verb, name string) error {
	path := "/api/v1/subscribers/" + name
	switch verb {
	case "suspends":
		_, err := adminMust(ctx, w, http.StatusOK, http.MethodPost, path+"/suspend", "")
		return err
	case "resumes":
		_, err := adminMust(ctx, w, http.StatusOK, http.MethodPost, path+"/resume", "")
		return err
	}
	_, err := adminMust(ctx, w, http.StatusNoContent, http.MethodDelete, path, "")
	return err
}

func adminShows(ctx context.Context, w *world, name, state string) error {
	out, err := adminMust(ctx, w, http.StatusOK, http.MethodGet, "/api/v1/subscribers/"+name, "")
	if err != nil {
		return err
	}
	if out["number"] != name || out["state"] != state {
		return fmt.Errorf("%w: subscriber %s is %v, want %s", ErrExpectation, name, out, state)
	}
	return nil
}

func adminHasNone(ctx context.Context, w *world, name string) error {
	_, err := adminMust(ctx, w, http.StatusNotFound, http.MethodGet, "/api/v1/subscribers/"+name, "")
	return err
}

func adminRefuses(ctx context.Context, w *world, how string, want int) error {
	if w.admin == nil {
		return fmt.Errorf("%w: the admin API is off (Given the PBX's admin API is on)", ErrUsage)
	}
	token := ""
	if how == "with a wrong token" {
		token = w.admin.token + "0"
	}
	for _, r := range []struct{ method, path string }{
		{http.MethodGet, "/api/v1/subscribers"},
		{http.MethodPost, "/api/v1/subscribers/1000/suspend"},
		{http.MethodDelete, "/api/v1/subscribers/1000"},
	} {
		code, out, err := adminRequest(ctx, w, token, r.method, r.path, "")
		if err != nil {
			return err
		}
		if code != want || out["error"] == nil {
			return fmt.Errorf("%w: %s %s %s: %d %v, want %d with an error", ErrExpectation, r.method, r.path, how, code, out, want)
		}
	}
	return nil
}

// registerAgain: the phone registers (a new phone must succeed, as Given
// phone N is registered); one that registered before sends a new REGISTER
// (a refresh) whose outcome is the last registration attempt, for Then the
// registration is refused with ....
func registerAgain(ctx context.Context, w *world, name string) error {
	if len(w.devicesOf(name)) == 0 {
		return registerPhone(ctx, w, name, "", 0)
	}
	sp, err := w.simPhoneOf(name, "")
	if err != nil {
		return err
	}
	rctx, cancel := w.waitCtx(ctx)
	defer cancel()
	reg, err := sp.p.Register(rctx)
	w.lastReg = &regOutcome{name: name, reg: reg, err: err}
	return nil
}
