package features

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"pbxlab/internal/pbxcontainer"
	"pbxlab/internal/testpeer"
)

// targetFlag selects TestFeatures' target: `go test ./features/
// -godog.target=container` runs the suite against pbxlab's container
// image; $PBXLAB_FEATURES_TARGET does the same where flags are awkward.
var targetFlag = flag.String("godog.target", "", "TestFeatures' target: in-process (default) or container (also $PBXLAB_FEATURES_TARGET)")

// Target names.
const (
	targetInProcess = "in-process"
	targetContainer = "container"
)

func selectedTarget() string {
	if *targetFlag != "" {
		return *targetFlag
	}
	if v := os.Getenv("PBXLAB_FEATURES_TARGET"); v != "" {
		return v
	}
	return targetInProcess
}

// targetWait is the step wait for the selected target: a container's start
// (create, start, OPTIONS probe) is a step's first wait, so leave it room
// on a loaded machine; 0 is the default (10 s).
func targetWait() time.Duration {
	if selectedTarget() == targetContainer {
		return 30 * time.Second
	}
	return 0
}

// featuresTarget is TestFeatures' target.
func featuresTarget(t *testing.T) Target {
	t.Helper()
	switch selectedTarget() {
	case targetInProcess:
		return &InProcess{}
	case targetContainer:
		return containerTarget(t)
	default:
		t.Fatalf("unknown target %q: want %s or %s", selectedTarget(), targetInProcess, targetContainer)
		return nil
	}
}

// containerTarget builds the image and the network on first use (they
// serve every test of the binary; TestMain removes them) and returns a
// container target. It skips the test loudly when no Docker engine answers
// (and fails it under CI=true).
func containerTarget(t *testing.T) *pbxcontainer.Target {
	t.Helper()
	testpeer.RequireDockerEngine(t)
	img, nw, err := containers.get()
	if err != nil {
		t.Fatal(err)
	}
	return &pbxcontainer.Target{Image: img, Network: nw}
}

// containers is the test binary's image and network.
var containers containerEnv

type containerEnv struct {
	mu  sync.Mutex
	img *pbxcontainer.Image
	nw  *pbxcontainer.Network
	err error
}

func (e *containerEnv) get() (*pbxcontainer.Image, *pbxcontainer.Network, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.img != nil || e.err != nil {
		return e.img, e.nw, e.err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	start := time.Now()
	img, err := pbxcontainer.BuildImage(ctx, pbxcontainer.BuildOptions{Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		e.err = err
		return nil, nil, err
	}
	nw, err := pbxcontainer.NewNetwork(ctx)
	if err != nil {
		_ = img.Remove(ctx)
		e.err = err
		return nil, nil, err
	}
	fmt.Fprintf(os.Stderr, "features: image %s built in %s, network %s (gateway %s)\n", img.Name, time.Since(start).Round(time.Millisecond), nw.Name(), nw.Gateway())
	e.img, e.nw = img, nw
	return img, nw, nil
}

// close removes the network and the image (from TestMain).
func (e *containerEnv) close() {
	e.mu.Lock()
	defer e.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if e.nw != nil {
		if err := e.nw.Remove(ctx); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}
	if e.img != nil {
		if err := e.img.Remove(ctx); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}
}

// TestFeaturesContainer runs every feature (but @wip) against pbxlab's
// container image: a PBX container per scenario, started with the
// scenario's configuration (so @in-process scenarios run too), phones on
// the host reaching it through the port published on the Docker network's
// gateway. It skips loudly where no Docker engine answers.
func TestFeaturesContainer(t *testing.T) {
	if selectedTarget() == targetContainer {
		t.Skip("TestFeatures itself runs against the container (-godog.target=container)")
	}
	target := containerTarget(t)
	checkNoLeaks(t)
	dir := outputDir(t)
	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Minute) // a container per scenario, two at a time: some 250 scenarios
	defer cancel()
	start := time.Now()
	res, err := Run(ctx, Options{
		Target:      target,
		Tags:        containerTags(),
		Output:      dir,
		Format:      "progress",
		Out:         &out,
		Concurrency: 2,
		Wait:        30 * time.Second, // see targetWait
	})
	t.Logf("container run: scenarios %d, passed %d, failed %d, skipped %d in %s",
		res.Scenarios, res.Passed, res.Failed, res.Skipped, time.Since(start).Round(time.Millisecond))
	if err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	checkCapturesWithTshark(t, dir)
	if !res.OK() {
		// the PBX logs first, the failures last: a CI log keeps its tail
		logFailedPBXs(t, res.Failures)
		t.Errorf("container run failed:\n%s\n%s", out.String(), strings.Join(res.Failures, "\n"))
	}
	if (os.Getenv("PBXLAB_FEATURES_TAGS") == "" && res.Scenarios < 20) || res.Skipped != 0 {
		t.Errorf("want every scenario run against the container, got %+v", res)
	}
}

var pbxLogPath = regexp.MustCompile(`\S+\.pbx\.log`)

// logFailedPBXs prints the container log of every failed scenario (the
// output directory may be a temporary one, gone after the test).
func logFailedPBXs(t *testing.T, failures []string) {
	t.Helper()
	for _, f := range failures {
		for _, p := range pbxLogPath.FindAllString(f, -1) {
			p = strings.TrimRight(p, ",")
			if b, err := os.ReadFile(p); err == nil {
				t.Logf("--- %s ---\n%s", p, b)
			}
		}
	}
}

// containerTags is the tag expression of the container runs:
// $PBXLAB_FEATURES_TAGS, else DefaultTags without the scenarios that read
// the PBX's own files (@pbx-files), which a container keeps to itself, and
// those whose peers (carriers, a DNS server) the test starts on the host's
// loopback (@host-peers), which a container cannot reach, and those that
// drive the in-process PBX's admin API (@cap-admin-api: the steps reach
// it through the in-process session).
func containerTags() string {
	if t := os.Getenv("PBXLAB_FEATURES_TAGS"); t != "" {
		return t
	}
	return DefaultTags + " && ~@pbx-files && ~@host-peers && ~@cap-admin-api"
}
