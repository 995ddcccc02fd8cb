package pbxcontainer

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/network"

	"pbxlab/internal/testproc"
)

// Network is a user-defined Docker bridge network: containers on it reach
// each other by address and by alias (Docker's DNS), and the host reaches
// them through its own address on the bridge, Gateway.
type Network struct {
	nw      *testcontainers.DockerNetwork
	subnet  netip.Prefix
	gateway netip.Addr
}

// NewNetwork creates a bridge network labelled with this test binary as
// its owner.
func NewNetwork(ctx context.Context) (*Network, error) {
	owner, err := testproc.Owner()
	if err != nil {
		return nil, fmt.Errorf("create network: %w", err)
	}
	nw, err := network.New(ctx, network.WithLabels(map[string]string{LabelOwner: owner}))
	if err != nil {
		return nil, fmt.Errorf("create network: %w", err)
	}
	n := &Network{nw: nw}
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		_ = nw.Remove(ctx)
		return nil, fmt.Errorf("create network: %w", err)
	}
	defer cli.Close()
	res, err := cli.NetworkInspect(ctx, nw.ID, client.NetworkInspectOptions{})
	if err != nil {
		_ = nw.Remove(ctx)
		return nil, fmt.Errorf("inspect network %s: %w", nw.Name, err)
	}
	for _, c := range res.Network.IPAM.Config {
		if c.Subnet.Addr().Is4() && c.Gateway.IsValid() {
			n.subnet, n.gateway = c.Subnet, c.Gateway
			break
		}
	}
	if !n.gateway.IsValid() {
		_ = nw.Remove(ctx)
		return nil, fmt.Errorf("inspect network %s: %w: no IPv4 gateway", nw.Name, ErrUsage)
	}
	return n, nil
}

// Name is the network's Docker name.
func (n *Network) Name() string { return n.nw.Name }

// Gateway is the host's address on the network's bridge.
func (n *Network) Gateway() netip.Addr { return n.gateway }

// Subnet is the network's IPv4 subnet.
func (n *Network) Subnet() netip.Prefix { return n.subnet }

// Remove deletes the network (its containers must be gone).
func (n *Network) Remove(ctx context.Context) error {
	if err := n.nw.Remove(ctx); err != nil {
		return fmt.Errorf("remove network %s: %w", n.nw.Name, err)
	}
	return nil
}
