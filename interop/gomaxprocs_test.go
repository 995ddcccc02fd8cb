package interop

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestServeAdaptsGOMAXPROCS: pbxlab serve runs on one Go processor while
// idle (runtime.adaptive_procs, on by default) and says so on /metrics; it
// leaves GOMAXPROCS alone when the configuration turns that off or the
// GOMAXPROCS environment variable pins it. Widening under load is
// internal/procs's TestControllerOnTheRuntime.
func TestServeAdaptsGOMAXPROCS(t *testing.T) {
	all := runtime.NumCPU()
	if all < 2 {
		t.Skip("one CPU: nothing to adapt")
	}
	for _, tc := range []struct {
		name        string
		config      string
		env         string
		wantProcs   int
		wantCounter bool
	}{
		{name: "default", wantProcs: 1, wantCounter: true},
		{name: "turned off", config: "runtime: {adaptive_procs: false}\n", wantProcs: all},
		{name: "pinned by the environment", env: "GOMAXPROCS=" + strconv.Itoa(all), wantProcs: all},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			dir := t.TempDir()
			admin := fmt.Sprintf("127.0.0.1:%d", freePort(t, "tcp", "127.0.0.1"))
			sipAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t, "udp", "127.0.0.1"))
			cfg := filepath.Join(dir, "pbxlab.yaml")
			yaml := fmt.Sprintf("sip: {listen: [\"udp:%s\"]}\nadmin: {listen: \"%s\"}\n%s", sipAddr, admin, tc.config)
			if err := os.WriteFile(cfg, []byte(yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(os.Getenv(binEnv), "serve", "--config", cfg, "--store", filepath.Join(dir, "pbx.db"))
			cmd.Env = append(withoutGOMAXPROCS(os.Environ()), tc.env)
			logPath := filepath.Join(dir, "pbxlab.log")
			logf, err := os.Create(logPath)
			if err != nil {
				t.Fatal(err)
			}
			defer logf.Close()
			cmd.Stderr = logf
			ready := &lineWatch{want: "listening on", seen: make(chan struct{})}
			cmd.Stdout = ready
			p := startProc(t, cmd, "udp:"+sipAddr, "tcp:"+admin)
			select {
			case <-ready.seen:
			case <-p.Done():
				t.Fatalf("pbxlab exited before listening\n%s", tail(logPath, 30))
			case <-ctx.Done():
				t.Fatalf("pbxlab did not listen\n%s", tail(logPath, 30))
			}
			// the controller narrows within its first period; wait a few
			var m map[string]float64
			for deadline := time.Now().Add(10 * time.Second); ; {
				m = scrape(ctx, t, "http://"+admin+"/metrics")
				if int(m["go_sched_gomaxprocs_threads"]) == tc.wantProcs || time.Now().After(deadline) {
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
			if got := int(m["go_sched_gomaxprocs_threads"]); got != tc.wantProcs {
				t.Errorf("go_sched_gomaxprocs_threads %d, want %d", got, tc.wantProcs)
			}
			changes, ok := m["pbxlab_gomaxprocs_changes_total"]
			switch {
			case tc.wantCounter && (!ok || changes < 1):
				t.Errorf("pbxlab_gomaxprocs_changes_total %v (exported: %v), want at least 1", changes, ok)
			case !tc.wantCounter && ok:
				t.Errorf("pbxlab_gomaxprocs_changes_total exported (%v) with no controller", changes)
			}
		})
	}
}

// withoutGOMAXPROCS is env without a GOMAXPROCS setting (the test binary's
// own, if any, would pin the child's).
func withoutGOMAXPROCS(env []string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, "GOMAXPROCS=") {
			out = append(out, kv)
		}
	}
	return out
}

// scrape reads the unlabelled samples of a Prometheus text exposition.
func scrape(ctx context.Context, t *testing.T, url string) map[string]float64 {
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
	m := map[string]float64{}
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if !ok || strings.HasPrefix(name, "#") || strings.Contains(name, "{") {
			continue
		}
		if v, err := strconv.ParseFloat(value, 64); err == nil {
			m[name] = v
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read %s: %v", url, err)
	}
	return m
}
