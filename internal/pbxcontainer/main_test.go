package pbxcontainer

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"pbxlab/internal/sipstack"
	"pbxlab/internal/testpeer"
)

// TestMain sets sipgo up (internal/sipstack), turns testcontainers' reaper
// off (it is an image to pull, and this engine has no registry), removes
// what a killed earlier run left, and removes the package's image at the
// end.
func TestMain(m *testing.M) {
	if err := sipstack.Setup(sipstack.Defaults()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if os.Getenv("TESTCONTAINERS_RYUK_DISABLED") == "" {
		os.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	if _, err := testpeer.PingDocker(ctx, testpeer.DockerHost()); err == nil {
		if s, err := Sweep(ctx); err != nil || s != (Swept{}) {
			fmt.Fprintf(os.Stderr, "pbxcontainer: swept %+v left by dead test binaries (%v)\n", s, err)
		}
	}
	cancel()
	code := m.Run()
	shared.remove()
	os.Exit(code)
}

// shared is the package's image, built by the first test that needs it.
var shared sharedImage

type sharedImage struct {
	mu  sync.Mutex
	img *Image
	err error
}

// image returns the package's image, building it on first use; the test
// skips (fails under CI=true) when no Docker engine answers.
func (s *sharedImage) image(t *testing.T) *Image {
	t.Helper()
	testpeer.RequireDockerEngine(t)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.img == nil && s.err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		start := time.Now()
		s.img, s.err = BuildImage(ctx, BuildOptions{Log: testLogger(t)})
		cancel()
		if s.err == nil {
			t.Logf("image %s built in %s", s.img.Name, time.Since(start).Round(time.Millisecond))
		}
	}
	if s.err != nil {
		t.Fatalf("build the image: %v", s.err)
	}
	return s.img
}

func (s *sharedImage) remove() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.img != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := s.img.Remove(ctx); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}
}

// testLogger writes to the test's log (shown with -v or on failure).
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

func newNetwork(t *testing.T) *Network {
	t.Helper()
	n, err := NewNetwork(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := n.Remove(ctx); err != nil {
			t.Error(err)
		}
	})
	return n
}
