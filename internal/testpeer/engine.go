package testpeer

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// More peers: the Linux tools and privileges of the network-namespace
// tests.
const (
	// Root is not a program: tests that create network namespaces,
	// veth pairs and nftables rules need to run as root.
	Root = "root"
	// IP is iproute2's ip (network namespaces, veth pairs, routes).
	IP = "ip"
	// Nft is nftables' nft (the NAT of the namespace tests).
	Nft = "nft"
)

// DockerHost is where the Docker engine listens: $DOCKER_HOST, else the
// default unix socket.
func DockerHost() string {
	if h := os.Getenv("DOCKER_HOST"); h != "" {
		return h
	}
	return "unix:///var/run/docker.sock"
}

// PingDocker asks the Docker engine at host (unix://PATH or tcp://HOST:PORT)
// for /_ping and returns the API version it announces. The docker program
// being installed says nothing about an engine answering; this does.
func PingDocker(ctx context.Context, host string) (string, error) {
	u, err := url.Parse(host)
	if err != nil {
		return "", fmt.Errorf("ping docker %s: %w", host, err)
	}
	tr := &http.Transport{}
	base := ""
	switch u.Scheme {
	case "unix":
		path := u.Path
		tr.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		}
		base = "http://docker"
	case "tcp", "http":
		base = "http://" + u.Host
	default:
		return "", fmt.Errorf("ping docker %s: unsupported scheme %q", host, u.Scheme)
	}
	defer tr.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/_ping", nil)
	if err != nil {
		return "", fmt.Errorf("ping docker %s: %w", host, err)
	}
	res, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return "", fmt.Errorf("ping docker %s: %w", host, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 512))
	if res.StatusCode != http.StatusOK {
		return "", fmt.Errorf("ping docker %s: %w: %s %s", host, ErrEngine, res.Status, strings.TrimSpace(string(body)))
	}
	return res.Header.Get("Api-Version"), nil
}

// RequireDockerEngine ends the test as Missing does (peer "docker") unless
// a Docker engine answers at DockerHost within 10 s; it returns the
// engine's API version.
func RequireDockerEngine(t TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	v, err := PingDocker(ctx, DockerHost())
	if err != nil {
		Missing(t, Docker, fmt.Sprintf("no Docker engine answers: %v", err))
		return ""
	}
	return v
}

// RequireRoot ends the test as Missing does (peer "root") unless the test
// runs as root; why says what needs it.
func RequireRoot(t TB, why string) {
	t.Helper()
	if os.Geteuid() != 0 {
		Missing(t, Root, fmt.Sprintf("not running as root (uid %d); %s", os.Geteuid(), why))
	}
}
