// Package pbxtest starts a real PBX in-process on ephemeral loopback ports,
// for tests, the godog suite and `pbxlab demo`. It does not import testing:
// callers own the lifecycle through Start and Close.
package pbxtest

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"time"

	"pbxlab/pbx"
	"pbxlab/pbx/config"
)

// Instance is a running PBX.
type Instance struct {
	*pbx.Server
	Config *config.Config
	UDP    netip.AddrPort // SIP over UDP
	TCP    netip.AddrPort // SIP over TCP (zero if not configured)
	dir    string
	ownDir bool
	cancel context.CancelFunc
	done   chan error
	once   sync.Once
	err    error
}

// Options for Start.
type Options struct {
	// Dir holds the SQLite store; a temporary directory (removed by Close)
	// when empty.
	Dir string
	// KeepListen keeps cfg's listen addresses instead of 127.0.0.1:0.
	KeepListen bool
	// PBX options (logger, clock, capture).
	PBX []pbx.Option
}

// Start runs a PBX with cfg (the demo configuration when nil) on
// udp/tcp 127.0.0.1:0 with its store in a temporary directory.
func Start(cfg *config.Config, o Options) (*Instance, error) {
	if cfg == nil {
		cfg = config.Demo()
	}
	in := &Instance{Config: cfg, dir: o.Dir, done: make(chan error, 1)}
	if in.dir == "" {
		d, err := os.MkdirTemp("", "pbxtest-")
		if err != nil {
			return nil, fmt.Errorf("start pbx: %w", err)
		}
		in.dir, in.ownDir = d, true
	}
	if !o.KeepListen {
		cfg.SIP.Listen = []string{"udp:127.0.0.1:0", "tcp:127.0.0.1:0"}
	}
	if cfg.Store.Path == "" {
		cfg.Store.Path = filepath.Join(in.dir, "pbx.db")
	}
	srv, err := pbx.New(cfg, o.PBX...)
	if err != nil {
		in.cleanup()
		return nil, err
	}
	in.Server = srv
	in.UDP, _ = srv.Addr("udp")
	in.TCP, _ = srv.Addr("tcp")
	ctx, cancel := context.WithCancel(context.Background())
	in.cancel = cancel
	go func() { in.done <- srv.Run(ctx) }()
	return in, nil
}

// StartYAML parses a YAML configuration and starts it.
func StartYAML(yaml string, o Options) (*Instance, error) {
	cfg, err := config.Parse("pbxtest.yaml", []byte(yaml))
	if err != nil {
		return nil, err
	}
	return Start(cfg, o)
}

// Target is the "host:port" of the UDP listener.
func (in *Instance) Target() string { return in.UDP.String() }

// Close shuts the PBX down gracefully (bounded) and removes its temporary
// directory. Later calls return the first call's result.
func (in *Instance) Close() error {
	in.once.Do(func() { in.err = in.close() })
	return in.err
}

func (in *Instance) close() error {
	in.cancel()
	var err error
	select {
	case err = <-in.done:
	case <-time.After(in.Config.Call.ShutdownGrace + 15*time.Second):
		err = errors.New("pbx did not stop in time")
		_ = in.Server.Close()
	}
	in.cleanup()
	return err
}

func (in *Instance) cleanup() {
	if in.ownDir {
		_ = os.RemoveAll(in.dir)
	}
}
