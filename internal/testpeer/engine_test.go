package testpeer

import (
	"errors"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// fakeEngine serves /_ping on a unix socket the way the Docker engine does.
func fakeEngine(t *testing.T, status int) string {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "docker.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/_ping" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Api-Version", "1.41")
		w.WriteHeader(status)
		_, _ = w.Write([]byte("OK"))
	})}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return "unix://" + sock
}

func TestPingDockerReadsAPIVersion(t *testing.T) {
	host := fakeEngine(t, http.StatusOK)
	v, err := PingDocker(t.Context(), host)
	if err != nil || v != "1.41" {
		t.Fatalf("PingDocker = %q, %v; want 1.41", v, err)
	}
}

func TestPingDockerRefusesAnEngineInTrouble(t *testing.T) {
	host := fakeEngine(t, http.StatusInternalServerError)
	if _, err := PingDocker(t.Context(), host); !errors.Is(err, ErrEngine) {
		t.Fatalf("err %v, want ErrEngine", err)
	}
}

func TestRequireDockerEngineWithoutEngine(t *testing.T) {
	t.Setenv("DOCKER_HOST", "unix://"+filepath.Join(t.TempDir(), "none.sock"))
	t.Setenv("CI", "")
	f := &fakeTB{}
	if v := RequireDockerEngine(f); v != "" || f.skipped == "" {
		t.Fatalf("version %q, %v: want a skip", v, f)
	}
	if name, _ := Parse(f.skipped); name != Docker || !strings.Contains(f.skipped, "no Docker engine answers") {
		t.Errorf("skip message %q", f.skipped)
	}
	t.Setenv("CI", "true")
	f = &fakeTB{}
	RequireDockerEngine(f)
	if f.failed == "" {
		t.Fatalf("CI=true: %v, want a failure", f)
	}
}

func TestRequireDockerEngineWithEngine(t *testing.T) {
	t.Setenv("DOCKER_HOST", fakeEngine(t, http.StatusOK))
	f := &fakeTB{}
	if v := RequireDockerEngine(f); v != "1.41" || f.ended() != "" {
		t.Fatalf("version %q, %v", v, f)
	}
}

func TestRootMessage(t *testing.T) {
	msg := Message(Root, "not running as root")
	if name, ok := Parse(msg); !ok || name != Root || strings.Contains(msg, "Debian package") {
		t.Errorf("message %q", msg)
	}
}
