package pbxcontainer

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	tcnetwork "github.com/testcontainers/testcontainers-go/network"
	"github.com/testcontainers/testcontainers-go/wait"

	"pbxlab/internal/testproc"
	"pbxlab/sim/report"
)

// ScenarioPath is where RunSim copies the scenario in the container.
const ScenarioPath = "/etc/pbxlab/scenario.yaml"

// SimOptions configure RunSim.
type SimOptions struct {
	// Image and Network are required.
	Image   *Image
	Network *Network
	// Scenario is the scenario YAML (sim/scenario's schema). Required.
	Scenario []byte
	// Target is the PBX as host:port, e.g. "pbx:5060" (an alias on the
	// network) or PBX.Internal().String(). Required.
	Target string
	// Args are more `pbxlab sim` flags, e.g. "--transport", "tcp".
	Args []string
	// Timeout bounds the run; default 2 minutes.
	Timeout time.Duration
	// Log receives testcontainers' logs at debug level.
	Log *slog.Logger
}

// SimResult is what a simulator container did.
type SimResult struct {
	// ExitCode is `pbxlab sim`'s: 0 when every registration succeeded,
	// every call ended as the scenario expects and audio was verified
	// where asked.
	ExitCode int
	// Report is the JSON report (`--json`), nil if there was none.
	Report *report.Report
	// Stdout and Stderr are the container's output.
	Stdout, Stderr []byte
}

// RunSim runs `pbxlab sim SCENARIO --target TARGET --json` in a container
// on the network until it exits, and returns its exit code and report.
// The container is removed before RunSim returns.
func RunSim(ctx context.Context, o SimOptions) (SimResult, error) {
	if o.Image == nil || o.Network == nil || len(o.Scenario) == 0 || o.Target == "" {
		return SimResult{}, fmt.Errorf("run sim container: %w: Image, Network, Scenario and Target are required", ErrUsage)
	}
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = 2 * time.Minute
	}
	log := orDiscard(o.Log)
	owner, err := testproc.Owner()
	if err != nil {
		return SimResult{}, fmt.Errorf("run sim container: %w", err)
	}
	args := append([]string{"sim", ScenarioPath, "--target", o.Target, "--json"}, o.Args...)
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	c, err := testcontainers.Run(rctx, o.Image.Name,
		testcontainers.WithLogger(tcLogger{log}),
		tcnetwork.WithNetwork(nil, o.Network.nw),
		testcontainers.WithLabels(map[string]string{LabelOwner: owner}),
		testcontainers.WithCmd(args...),
		testcontainers.WithFiles(testcontainers.ContainerFile{Reader: bytes.NewReader(o.Scenario), ContainerFilePath: ScenarioPath, FileMode: 0o644}),
		testcontainers.WithWaitStrategyAndDeadline(timeout, wait.ForExit().WithPollInterval(200*time.Millisecond)),
	)
	if c != nil {
		defer func() { _ = c.Terminate(context.WithoutCancel(ctx)) }()
	}
	if err != nil {
		return SimResult{}, fmt.Errorf("run sim container: %w", err)
	}
	st, err := c.State(rctx)
	if err != nil {
		return SimResult{}, fmt.Errorf("run sim container: %w", err)
	}
	res := SimResult{ExitCode: st.ExitCode}
	if res.Stdout, res.Stderr, err = splitLogs(rctx, c.GetContainerID()); err != nil {
		return res, err
	}
	if i := bytes.IndexByte(res.Stdout, '{'); i >= 0 {
		var r report.Report
		if err := json.Unmarshal(res.Stdout[i:], &r); err != nil {
			return res, fmt.Errorf("run sim container: read report: %w\n%s", err, res.Stdout)
		}
		res.Report = &r
	}
	return res, nil
}

// splitLogs returns a container's stdout and stderr apart.
func splitLogs(ctx context.Context, id string) (stdout, stderr []byte, err error) {
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("read logs of %s: %w", id, err)
	}
	defer cli.Close()
	rc, err := cli.ContainerLogs(ctx, id, client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true})
	if err != nil {
		return nil, nil, fmt.Errorf("read logs of %s: %w", id, err)
	}
	defer rc.Close()
	var out, errOut bytes.Buffer
	if _, err := stdcopy.StdCopy(&out, &errOut, rc); err != nil {
		return nil, nil, fmt.Errorf("read logs of %s: %w", id, err)
	}
	return out.Bytes(), errOut.Bytes(), nil
}
