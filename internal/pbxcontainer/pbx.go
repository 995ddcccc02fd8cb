package pbxcontainer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/testcontainers/testcontainers-go"
	tcnetwork "github.com/testcontainers/testcontainers-go/network"
	"github.com/testcontainers/testcontainers-go/wait"

	"pbxlab/internal/sipprobe"
	"pbxlab/internal/testproc"
	"pbxlab/pbx/config"
)

// Paths inside the PBX container.
const (
	// SIPPort is the port the PBX listens on in the container (UDP and TCP).
	SIPPort = 5060
	// ConfigPath is where the configuration is copied before start.
	ConfigPath = "/etc/pbxlab/pbx.yaml"
	// StorePath is the SQLite store, in the image's writable WORKDIR.
	StorePath = "/data/pbx.db"
	// CapturePath is the PBX's own capture when PBXOptions.Capture is set.
	CapturePath = "/data/pbx.pcapng"
)

// PBXOptions configure StartPBX.
type PBXOptions struct {
	// Image and Network are required.
	Image   *Image
	Network *Network
	// Config is the PBX's configuration (required, not modified); StartPBX
	// sets its listen addresses, store path and capture in a copy.
	Config *config.Config
	// Aliases are the PBX's names on the network (Docker's DNS).
	Aliases []string
	// Publish publishes SIP (5060/udp and 5060/tcp) on the network's
	// gateway address at a free host port, which the PBX advertises in
	// Via and Contact: phones on the host reach it at Host().
	Publish bool
	// Capture makes the PBX write every SIP message to CapturePath.
	Capture bool
	// Ready bounds starting the container and its readiness probe; default
	// 60 s.
	Ready time.Duration
	// Log receives testcontainers' and the probe's logs at debug level.
	Log *slog.Logger
}

// PBX is a running `pbxlab serve` container.
type PBX struct {
	c    *testcontainers.DockerContainer
	ip   netip.Addr
	host netip.AddrPort
	log  *slog.Logger
}

// StartPBX starts a PBX container and returns once it answers SIP OPTIONS.
//
// Why phones on the host use the gateway address: the PBX must see each
// phone at the address the phone puts in its Contact, or it can reach the
// phone only through rport/received (RFC 3581). A port published on
// 127.0.0.1 is relayed by Docker's userland proxy, so the PBX sees every
// phone as the gateway with the proxy's port while the phone's Contact says
// 127.0.0.1 — unreachable from the container. A port published on the
// gateway address is DNATed by the kernel instead: the source is kept, and
// a phone bound to the gateway address (its route to the PBX) is seen at
// its real address and port. Host networking would avoid Docker's NAT
// altogether, but it does not isolate the container's ports and does not
// exist on Docker Desktop; a published port is how a PBX container is run
// for real. The PBX advertises the published address, so what it sends and
// what phones send back all go through that one DNAT mapping.
func StartPBX(ctx context.Context, o PBXOptions) (*PBX, error) {
	if o.Image == nil || o.Network == nil || o.Config == nil {
		return nil, fmt.Errorf("start pbx container: %w: Image, Network and Config are required", ErrUsage)
	}
	var last error
	for range 3 { // a published port taken between freePort and docker run
		p, err := startPBX(ctx, o)
		if err == nil {
			return p, nil
		}
		last = err
		if !o.Publish || errors.Is(err, ErrNotReady) || ctx.Err() != nil {
			break
		}
	}
	return nil, last
}

func startPBX(ctx context.Context, o PBXOptions) (*PBX, error) {
	log := orDiscard(o.Log)
	ready := o.Ready
	if ready <= 0 {
		ready = 60 * time.Second
	}
	cfg, err := cloneConfig(o.Config)
	if err != nil {
		return nil, err
	}
	listen := fmt.Sprintf("0.0.0.0:%d", SIPPort)
	cfg.SIP.Listen = []string{"udp:" + listen, "tcp:" + listen}
	var host netip.AddrPort
	if o.Publish {
		port, err := freePort(o.Network.Gateway())
		if err != nil {
			return nil, err
		}
		host = netip.AddrPortFrom(o.Network.Gateway(), port)
		cfg.SIP.Listen = []string{"udp:" + listen + " advertise " + host.String(), "tcp:" + listen + " advertise " + host.String()}
		// Only SIP is published: the RTP range is reached on the
		// container's own bridge address, which the host routes to
		// directly (publishing thousands of UDP ports is not how a PBX
		// container is run, and Docker would start a proxy per port).
		if cfg.Media.Advertise == "" {
			cfg.Media.Advertise = config.MediaAdvertiseRoute
		}
	}
	cfg.Store.Path = StorePath
	cfg.Capture = ""
	if o.Capture {
		cfg.Capture = CapturePath
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("start pbx container: %w", err)
	}
	yml, err := cfg.Marshal()
	if err != nil {
		return nil, fmt.Errorf("start pbx container: %w", err)
	}
	owner, err := testproc.Owner()
	if err != nil {
		return nil, fmt.Errorf("start pbx container: %w", err)
	}
	sipUDP := network.MustParsePort(strconv.Itoa(SIPPort) + "/udp")
	sipTCP := network.MustParsePort(strconv.Itoa(SIPPort) + "/tcp")
	opts := []testcontainers.ContainerCustomizer{
		testcontainers.WithLogger(tcLogger{log}),
		tcnetwork.WithNetwork(o.Aliases, o.Network.nw),
		testcontainers.WithLabels(map[string]string{LabelOwner: owner}),
		testcontainers.WithCmd("serve", "--config", ConfigPath),
		testcontainers.WithFiles(testcontainers.ContainerFile{Reader: bytes.NewReader(yml), ContainerFilePath: ConfigPath, FileMode: 0o644}),
		testcontainers.WithWaitStrategyAndDeadline(ready, probeStrategy{publish: host, network: o.Network.Name(), log: log}),
	}
	if o.Publish {
		opts = append(opts,
			testcontainers.WithExposedPorts(sipUDP.String(), sipTCP.String()),
			testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) {
				b := []network.PortBinding{{HostIP: host.Addr(), HostPort: strconv.Itoa(int(host.Port()))}}
				hc.PortBindings = network.PortMap{sipUDP: b, sipTCP: b}
			}))
	}
	sctx, cancel := context.WithTimeout(ctx, ready+10*time.Second)
	defer cancel()
	c, err := testcontainers.Run(sctx, o.Image.Name, opts...)
	if err != nil {
		if c != nil {
			logs := tail(containerLogs(context.WithoutCancel(ctx), c), 40)
			_ = c.Terminate(context.WithoutCancel(ctx))
			return nil, fmt.Errorf("start pbx container: %w\n--- pbx log ---\n%s", err, logs)
		}
		return nil, fmt.Errorf("start pbx container: %w", err)
	}
	ip, err := containerIP(sctx, c, o.Network.Name())
	if err != nil {
		_ = c.Terminate(context.WithoutCancel(ctx))
		return nil, err
	}
	return &PBX{c: c, ip: ip, host: host, log: log}, nil
}

// cloneConfig copies cfg through its YAML form (the copy is the PBX's; the
// caller's stays as it was).
func cloneConfig(cfg *config.Config) (*config.Config, error) {
	b, err := cfg.Marshal()
	if err != nil {
		return nil, fmt.Errorf("copy pbx config: %w", err)
	}
	c, err := config.Parse("pbx.yaml", b)
	if err != nil {
		return nil, fmt.Errorf("copy pbx config: %w", err)
	}
	return c, nil
}

// freePort finds a port free for both UDP and TCP on ip.
func freePort(ip netip.Addr) (uint16, error) {
	var last error
	for range 20 {
		pc, err := net.ListenPacket("udp", netip.AddrPortFrom(ip, 0).String())
		if err != nil {
			return 0, fmt.Errorf("find free port on %s: %w", ip, err)
		}
		port := pc.LocalAddr().(*net.UDPAddr).Port
		l, err := net.Listen("tcp", netip.AddrPortFrom(ip, uint16(port)).String())
		_ = pc.Close()
		if err != nil {
			last = err
			continue
		}
		_ = l.Close()
		return uint16(port), nil
	}
	return 0, fmt.Errorf("find free port on %s: %w", ip, last)
}

func containerIP(ctx context.Context, c testcontainers.Container, netName string) (netip.Addr, error) {
	in, err := c.Inspect(ctx)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("inspect container: %w", err)
	}
	if ep := in.NetworkSettings.Networks[netName]; ep != nil && ep.IPAddress.IsValid() {
		return ep.IPAddress.Unmap(), nil
	}
	return netip.Addr{}, fmt.Errorf("inspect container %s: %w: no address on network %s", c.GetContainerID(), ErrUsage, netName)
}

// probeStrategy is the PBX's readiness: SIP OPTIONS over UDP to the
// published address (or the container's address on its network) until a
// response, failing early when the container exits.
type probeStrategy struct {
	publish netip.AddrPort
	network string
	log     *slog.Logger
}

func (s probeStrategy) WaitUntilReady(ctx context.Context, target wait.StrategyTarget) error {
	for {
		st, err := target.State(ctx)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrNotReady, err)
		}
		if !st.Running {
			return fmt.Errorf("%w: container %s (exit code %d)", ErrNotReady, st.Status, st.ExitCode)
		}
		addr := s.publish
		if !addr.IsValid() {
			in, err := target.Inspect(ctx)
			if err != nil {
				return fmt.Errorf("%w: %w", ErrNotReady, err)
			}
			if ep := in.NetworkSettings.Networks[s.network]; ep != nil && ep.IPAddress.IsValid() {
				addr = netip.AddrPortFrom(ep.IPAddress.Unmap(), SIPPort)
			}
		}
		if addr.IsValid() {
			pctx, cancel := context.WithTimeout(ctx, 2*sipprobe.Attempt)
			_, err = sipprobe.Probe(pctx, addr, "udp", s.log)
			cancel()
			if err == nil {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w: no answer to OPTIONS at %s: %w", ErrNotReady, addr, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// IP is the PBX's address on its network.
func (p *PBX) IP() netip.Addr { return p.ip }

// Internal is where containers on the network reach the PBX's SIP port.
func (p *PBX) Internal() netip.AddrPort { return netip.AddrPortFrom(p.ip, SIPPort) }

// Host is the published SIP address on the gateway (invalid without
// PBXOptions.Publish): where phones on the host reach the PBX.
func (p *PBX) Host() netip.AddrPort { return p.host }

// ID is the container's id.
func (p *PBX) ID() string { return p.c.GetContainerID() }

// Logs returns what the PBX wrote to stdout and stderr so far.
func (p *PBX) Logs(ctx context.Context) []byte { return containerLogs(ctx, p.c) }

// Stop sends SIGTERM (the PBX shuts down gracefully: calls ended, CDRs
// flushed) and waits up to 10 s before Docker kills it. The container and
// its files stay until Terminate.
func (p *PBX) Stop(ctx context.Context) error {
	d := 10 * time.Second
	if err := p.c.Stop(ctx, &d); err != nil {
		return fmt.Errorf("stop pbx container: %w", err)
	}
	return nil
}

// ExitCode is the container's exit code once it stopped.
func (p *PBX) ExitCode(ctx context.Context) (int, error) {
	st, err := p.c.State(ctx)
	if err != nil {
		return 0, fmt.Errorf("pbx container state: %w", err)
	}
	if st.Running {
		return 0, fmt.Errorf("pbx container state: %w: still running", ErrUsage)
	}
	return st.ExitCode, nil
}

// CopyOut reads a file of the container (running or stopped).
func (p *PBX) CopyOut(ctx context.Context, path string) ([]byte, error) {
	rc, err := p.c.CopyFileFromContainer(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("copy %s from pbx container: %w", path, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return nil, fmt.Errorf("copy %s from pbx container: %w", path, err)
	}
	return b, nil
}

// Terminate kills and removes the container.
func (p *PBX) Terminate(ctx context.Context) error {
	if err := p.c.Terminate(ctx); err != nil {
		return fmt.Errorf("remove pbx container: %w", err)
	}
	return nil
}

func containerLogs(ctx context.Context, c testcontainers.Container) []byte {
	rc, err := c.Logs(ctx)
	if err != nil {
		return []byte("(logs unavailable: " + err.Error() + ")")
	}
	defer rc.Close()
	b, _ := io.ReadAll(io.LimitReader(rc, 8<<20))
	return b
}

// tail keeps the last n lines of b.
func tail(b []byte, n int) []byte {
	lines := bytes.SplitAfter(b, []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return bytes.Join(lines, nil)
}
