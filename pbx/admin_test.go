package pbx_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/leakcheck"
	"pbxlab/internal/pcapio"
	"pbxlab/pbx"
	"pbxlab/pbx/config"
	"pbxlab/pbx/pbxtest"
	"pbxlab/sim/phone"
)

// httpGet fetches url and returns the status, Content-Type and body.
func httpGet(ctx context.Context, t *testing.T, url string) (int, string, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, res.Header.Get("Content-Type"), string(body)
}

// pbxMetrics are the PBX's own metric families.
var pbxMetrics = []string{"pbxlab_active_calls", "pbxlab_registered_bindings", "pbxlab_calls_total", "pbxlab_register_responses_total"}

// exposition is the Prometheus text the PBX's own families must show.
func exposition(active, bindings int, calls map[pbx.Disposition]int, registers map[int]int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# HELP pbxlab_active_calls Calls in progress.\n# TYPE pbxlab_active_calls gauge\npbxlab_active_calls %d\n", active)
	fmt.Fprintf(&b, "# HELP pbxlab_registered_bindings Registered contacts that have not expired, every AOR together (static contacts not counted).\n"+
		"# TYPE pbxlab_registered_bindings gauge\npbxlab_registered_bindings %d\n", bindings)
	b.WriteString("# HELP pbxlab_calls_total Call attempts that ended, by disposition (as in the CDR).\n# TYPE pbxlab_calls_total counter\n")
	ds := make([]string, 0, len(calls))
	for d := range calls {
		ds = append(ds, string(d))
	}
	slices.Sort(ds)
	for _, d := range ds {
		fmt.Fprintf(&b, "pbxlab_calls_total{disposition=%q} %d\n", d, calls[pbx.Disposition(d)])
	}
	if len(registers) > 0 {
		b.WriteString("# HELP pbxlab_register_responses_total Responses to REGISTER requests, by status code.\n# TYPE pbxlab_register_responses_total counter\n")
		codes := make([]string, 0, len(registers))
		for c := range registers {
			codes = append(codes, strconv.Itoa(c))
		}
		slices.Sort(codes)
		for _, c := range codes {
			n, _ := strconv.Atoi(c)
			fmt.Fprintf(&b, "pbxlab_register_responses_total{code=%q} %d\n", c, registers[n])
		}
	}
	return b.String()
}

// compareMetrics fetches url and compares the lines of the PBX's own
// families (HELP, TYPE and samples) with want, as sets of lines.
func compareMetrics(ctx context.Context, t *testing.T, url, want string) error {
	t.Helper()
	code, _, body := httpGet(ctx, t, url)
	if code != http.StatusOK {
		return fmt.Errorf("GET %s: %d", url, code)
	}
	var got []string
	for _, line := range strings.Split(body, "\n") {
		name := strings.TrimPrefix(strings.TrimPrefix(line, "# HELP "), "# TYPE ")
		if i := strings.IndexAny(name, " {"); i > 0 {
			name = name[:i]
		}
		if slices.Contains(pbxMetrics, name) {
			got = append(got, line)
		}
	}
	wantLines := strings.Split(strings.TrimSuffix(want, "\n"), "\n")
	slices.Sort(got)
	slices.Sort(wantLines)
	if !slices.Equal(got, wantLines) {
		return fmt.Errorf("PBX metrics\n got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantLines, "\n"))
	}
	return nil
}

// registerResponses counts, by status code, the responses to REGISTER the
// PBX sent, as captured on the wire.
func registerResponses(t *testing.T, w *pcapio.Writer, path string, pbxAddr string) map[int]int {
	t.Helper()
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	pkts, err := pcapio.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int]int{}
	for _, p := range pcapio.SIPMessages(pkts) {
		m, err := sip.ParseMessage(p.Payload)
		if err != nil {
			continue
		}
		if res, ok := m.(*sip.Response); ok && p.Src.String() == pbxAddr && res.CSeq().MethodName == sip.REGISTER {
			out[res.StatusCode]++
		}
	}
	return out
}

// TestAdminEndpoints: /healthz answers, and /metrics shows the PBX's own
// families with the values the test can account for: the bindings it
// registered, the call in progress, the ended calls as the CDRs record
// them, the REGISTER responses as captured on the wire; plus the Go runtime
// and process families.
func TestAdminEndpoints(t *testing.T) {
	leakcheck.Check(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	capPath := filepath.Join(t.TempDir(), "admin.pcapng")
	w, err := pcapio.Create(capPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.Close() })
	in := startPBX(t, func(c *config.Config) { c.Admin.Listen = "127.0.0.1:0" }, pbxtest.Options{PBX: []pbx.Option{pbx.WithCapture(w)}})
	admin, ok := in.AdminAddr()
	if !ok || admin.Port() == 0 {
		t.Fatalf("AdminAddr = %s %t", admin, ok)
	}
	base := "http://" + admin.String()

	code, ctype, body := httpGet(ctx, t, base+"/healthz")
	if code != http.StatusOK || body != "ok\n" || !strings.HasPrefix(ctype, "text/plain") {
		t.Errorf("/healthz = %d %q %q, want 200 text/plain \"ok\\n\"", code, ctype, body)
	}
	none := map[pbx.Disposition]int{pbx.Answered: 0, pbx.Busy: 0, pbx.NoAnswer: 0, pbx.Cancelled: 0, pbx.Failed: 0, pbx.Redirected: 0, pbx.Rejected: 0}
	if err := compareMetrics(ctx, t, base+"/metrics", exposition(0, 0, none, nil)); err != nil {
		t.Errorf("fresh PBX: %v", err)
	}

	numbers := []string{"1000", "1001"}
	ps := registered(ctx, t, in.Target(), phone.Config{}, numbers...)
	c, callee := talk(ctx, t, ps["1000"], ps["1001"])
	regs := registerResponses(t, w, capPath, in.Target())
	if err := compareMetrics(ctx, t, base+"/metrics", exposition(1, len(numbers), none, regs)); err != nil {
		t.Errorf("during the call: %v", err)
	}
	if err := c.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := callee.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	// 1005 exists but is not registered: an attempt that fails.
	failed, err := ps["1000"].Dial(ctx, "1005")
	if err != nil {
		t.Fatal(err)
	}
	if err := failed.WaitAnswer(ctx); err == nil {
		t.Fatal("a call to an unregistered subscriber was answered")
	}
	recs := waitCDRs(ctx, t, in, func(r []pbx.CDR) bool {
		return len(r) == 2 && r[0].Disposition != pbx.InProgress && r[1].Disposition != pbx.InProgress
	})
	// a call's record is final just before the call stops counting as
	// active (the record first, so that a shutdown waiting for the active
	// calls never closes the store under it)
	for in.ActiveCalls() != 0 {
		if ctx.Err() != nil {
			t.Fatalf("%d calls still active after their CDRs", in.ActiveCalls())
		}
		time.Sleep(time.Millisecond)
	}
	calls := map[pbx.Disposition]int{}
	for d := range none {
		calls[d] = 0
	}
	for _, r := range recs {
		calls[r.Disposition]++
	}
	regs = registerResponses(t, w, capPath, in.Target())
	if err := compareMetrics(ctx, t, base+"/metrics", exposition(0, len(numbers), calls, regs)); err != nil {
		t.Errorf("after the calls: %v", err)
	}
	t.Logf("calls %v, REGISTER responses %v", calls, regs)
	if calls[pbx.Answered] != 1 || len(regs) < 2 {
		t.Errorf("the test did not produce what it checks: calls %v, REGISTER responses %v", calls, regs)
	}

	_, ctype, body = httpGet(ctx, t, base+"/metrics")
	for _, family := range []string{"go_goroutines", "go_memstats_alloc_bytes", "process_resident_memory_bytes"} {
		if !strings.Contains(body, "\n"+family+" ") {
			t.Errorf("/metrics has no %s", family)
		}
	}
	if !strings.HasPrefix(ctype, "text/plain") {
		t.Errorf("/metrics Content-Type %q", ctype)
	}
}

// TestAdminOff: without admin.listen nothing is served.
func TestAdminOff(t *testing.T) {
	in := startPBX(t, nil, pbxtest.Options{})
	if ap, ok := in.AdminAddr(); ok {
		t.Errorf("AdminAddr = %s with admin.listen off", ap)
	}
}

// TestAdminPprof: the profiler's paths answer 404 on the admin listener by
// default and serve profiles with admin.pprof on.
func TestAdminPprof(t *testing.T) {
	leakcheck.Check(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	paths := []string{"/debug/pprof/", "/debug/pprof/heap", "/debug/pprof/allocs", "/debug/pprof/goroutine?debug=1", "/debug/pprof/profile?seconds=1", "/debug/pprof/cmdline"}

	off := startPBX(t, func(c *config.Config) { c.Admin.Listen = "127.0.0.1:0" }, pbxtest.Options{})
	addr, ok := off.AdminAddr()
	if !ok {
		t.Fatal("no admin listener")
	}
	for _, p := range paths {
		if code, _, _ := httpGet(ctx, t, "http://"+addr.String()+p); code != http.StatusNotFound {
			t.Errorf("admin.pprof off: GET %s = %d, want 404", p, code)
		}
	}

	on := startPBX(t, func(c *config.Config) { c.Admin.Listen, c.Admin.Pprof = "127.0.0.1:0", true }, pbxtest.Options{})
	addr, ok = on.AdminAddr()
	if !ok {
		t.Fatal("no admin listener")
	}
	for _, p := range paths {
		code, _, body := httpGet(ctx, t, "http://"+addr.String()+p)
		if code != http.StatusOK || body == "" {
			t.Errorf("admin.pprof on: GET %s = %d (%d bytes), want 200 and a profile", p, code, len(body))
		}
	}
	if _, _, body := httpGet(ctx, t, "http://"+addr.String()+"/debug/pprof/goroutine?debug=1"); !strings.Contains(body, "goroutine profile:") {
		t.Errorf("goroutine profile: %.200q", body)
	}
	// the rest of the admin listener is unchanged
	if code, _, _ := httpGet(ctx, t, "http://"+addr.String()+"/healthz"); code != http.StatusOK {
		t.Errorf("/healthz = %d with admin.pprof on", code)
	}
}
