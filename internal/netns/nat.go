// Package netns builds test networks out of Linux network namespaces with
// iproute2 (ip netns, veth) and nftables, for tests that need a real
// network between their parts: NewNAT puts a private LAN behind a router
// that masquerades it (source NAT) onto a link to the host, as a phone
// behind a home router is. It needs root, ip and nft (see
// internal/testpeer). It does not import testing.
//
// The topology of one NAT, r being a random index 0..63:
//
//	LAN namespace            router namespace                 host
//	eth0 10.77.r.2/24 ── lan0 10.77.r.1/24
//	default via 10.77.r.1    wan0 198.51.100.(4r+2)/30 ── pxn<id> 198.51.100.(4r+1)/30
//	                         nft: masquerade (random ports)
//	                         out of wan0; from wan0 to
//	                         lan0 only replies (no port
//	                         forward)
//
// The host gets an unreachable route for the LAN's prefix: it cannot
// reach a private address except through the NAT's mappings, and nothing
// meant for the private network leaves by the host's default route.
// 198.51.100.0/24 is TEST-NET-2 (RFC 5737): addresses of this machine's own
// namespaces only.
package netns

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net/netip"
	"os"
	"os/exec"
	"strings"

	"pbxlab/internal/testproc"
)

// Prefix starts the name of every namespace this package creates; the
// rest names the owning test binary (testproc.Owner) and the NAT.
const Prefix = "pbxlab-nat-"

// NAT is a private LAN behind a masquerading router, linked to the host.
type NAT struct {
	// LAN and Router are the namespaces' names (`ip netns exec LAN ...`).
	LAN, Router string
	// Private is the LAN's prefix; PhoneIP the LAN host's address in it.
	Private netip.Prefix
	PhoneIP netip.Addr
	// Public is the router's address on the link to the host: the source
	// address of everything the LAN sends out, as the host sees it.
	Public netip.Addr
	// HostIP is the host's address on that link: where a server on the
	// host listens for the LAN.
	HostIP netip.Addr

	hostLink string
	log      *slog.Logger
	closed   bool
}

// NewNAT creates the namespaces, links, addresses, routes and nftables
// rules of one NAT. On error it removes what it made.
func NewNAT(ctx context.Context, log *slog.Logger) (*NAT, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	owner, err := testproc.Owner()
	if err != nil {
		return nil, fmt.Errorf("create nat: %w", err)
	}
	var last error
	for range 5 { // another NAT (another test binary) may hold the index
		id := make([]byte, 4)
		if _, err := rand.Read(id); err != nil {
			return nil, fmt.Errorf("create nat: %w", err)
		}
		idx, err := rand.Int(rand.Reader, big.NewInt(64))
		if err != nil {
			return nil, fmt.Errorf("create nat: %w", err)
		}
		r := byte(idx.Int64())
		hexID := hex.EncodeToString(id)
		n := &NAT{
			LAN:      Prefix + owner + "-" + hexID + "-lan",
			Router:   Prefix + owner + "-" + hexID + "-rtr",
			Private:  netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 77, r, 0}), 24),
			PhoneIP:  netip.AddrFrom4([4]byte{10, 77, r, 2}),
			Public:   netip.AddrFrom4([4]byte{198, 51, 100, 4*r + 2}),
			HostIP:   netip.AddrFrom4([4]byte{198, 51, 100, 4*r + 1}),
			hostLink: "pxn" + hexID,
			log:      log,
		}
		if err := n.create(ctx); err != nil {
			last = err
			_ = n.Close(context.WithoutCancel(ctx))
			if ctx.Err() != nil || errors.Is(err, exec.ErrNotFound) {
				break
			}
			continue
		}
		return n, nil
	}
	return nil, fmt.Errorf("create nat: %w", last)
}

// routerRules: masquerade out of wan0 with random source ports (so that
// the port a server sees differs from the one the LAN host bound, as
// behind most NATs), forward LAN to WAN, and WAN to LAN only as replies.
const routerRules = `table ip pbxlab_nat {
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "wan0" masquerade random
	}
	chain forward {
		type filter hook forward priority filter; policy drop;
		iifname "lan0" oifname "wan0" accept
		iifname "wan0" oifname "lan0" ct state established,related accept
	}
}
`

func (n *NAT) create(ctx context.Context) error {
	pub := n.Public.String() + "/30"
	host := n.HostIP.String() + "/30"
	lanGW := netip.AddrFrom4([4]byte{10, 77, n.Private.Addr().As4()[2], 1})
	steps := [][]string{
		{"ip", "netns", "add", n.LAN},
		{"ip", "netns", "add", n.Router},
		{"ip", "-n", n.Router, "link", "add", "lan0", "type", "veth", "peer", "name", "eth0", "netns", n.LAN},
		{"ip", "link", "add", n.hostLink, "type", "veth", "peer", "name", "wan0", "netns", n.Router},
		{"ip", "-n", n.LAN, "link", "set", "lo", "up"},
		{"ip", "-n", n.LAN, "addr", "add", n.PhoneIP.String() + "/24", "dev", "eth0"},
		{"ip", "-n", n.LAN, "link", "set", "eth0", "up"},
		{"ip", "-n", n.LAN, "route", "add", "default", "via", lanGW.String()},
		{"ip", "-n", n.Router, "link", "set", "lo", "up"},
		{"ip", "-n", n.Router, "addr", "add", lanGW.String() + "/24", "dev", "lan0"},
		{"ip", "-n", n.Router, "link", "set", "lan0", "up"},
		{"ip", "-n", n.Router, "addr", "add", pub, "dev", "wan0"},
		{"ip", "-n", n.Router, "link", "set", "wan0", "up"},
		{"ip", "-n", n.Router, "route", "add", "default", "via", n.HostIP.String()},
		{"ip", "netns", "exec", n.Router, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1"},
		{"ip", "addr", "add", host, "dev", n.hostLink},
		{"ip", "link", "set", n.hostLink, "up"},
		{"ip", "route", "add", "unreachable", n.Private.String()},
	}
	for _, s := range steps {
		if err := run(ctx, nil, s...); err != nil {
			return err
		}
	}
	return run(ctx, strings.NewReader(routerRules), "ip", "netns", "exec", n.Router, "nft", "-f", "-")
}

// Command returns a command that runs name in the LAN namespace (`ip netns
// exec LAN name args...`); start it with internal/testproc.
func (n *NAT) Command(name string, args ...string) *exec.Cmd {
	return exec.Command("ip", append([]string{"netns", "exec", n.LAN, name}, args...)...)
}

// Close removes the namespaces (their links and rules go with them), the
// host's link and route. It is idempotent.
func (n *NAT) Close(ctx context.Context) error {
	if n.closed {
		return nil
	}
	n.closed = true
	var errs []error
	for _, s := range [][]string{
		{"ip", "route", "del", "unreachable", n.Private.String()},
		{"ip", "link", "del", n.hostLink},
		{"ip", "netns", "del", n.Router},
		{"ip", "netns", "del", n.LAN},
	} {
		if err := run(ctx, nil, s...); err != nil && !notThere(err) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Sweep removes the namespaces of NATs whose test binary died before it
// closed them (their veth links go with them; the host's unreachable
// route is removed with them by its prefix).
func Sweep(ctx context.Context) ([]string, error) {
	entries, err := os.ReadDir("/run/netns")
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("sweep nat namespaces: %w", err)
	}
	var gone []string
	var errs []error
	for _, e := range entries {
		name, ok := strings.CutPrefix(e.Name(), Prefix)
		if !ok {
			continue
		}
		owner, _, _ := strings.Cut(name, "-")
		if testproc.OwnerAlive(owner) {
			continue
		}
		if strings.HasSuffix(name, "-lan") {
			// the LAN's prefix: read it off its eth0 before it goes
			var out bytes.Buffer
			if runOut(ctx, &out, "ip", "-n", e.Name(), "-4", "-o", "addr", "show", "dev", "eth0") == nil {
				for _, f := range strings.Fields(out.String()) {
					if p, err := netip.ParsePrefix(f); err == nil {
						_ = run(ctx, nil, "ip", "route", "del", "unreachable", p.Masked().String())
					}
				}
			}
		}
		if err := run(ctx, nil, "ip", "netns", "del", e.Name()); err != nil {
			errs = append(errs, err)
			continue
		}
		gone = append(gone, e.Name())
	}
	return gone, errors.Join(errs...)
}

func run(ctx context.Context, stdin *strings.Reader, args ...string) error {
	var out bytes.Buffer
	cmd := exec.Command(args[0], args[1:]...)
	if stdin != nil {
		cmd.Stdin = stdin
	}
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := testproc.Run(ctx, cmd); err != nil {
		return fmt.Errorf("%s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(out.String()))
	}
	return nil
}

func runOut(ctx context.Context, out *bytes.Buffer, args ...string) error {
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdout = out
	return testproc.Run(ctx, cmd)
}

// notThere: deleting what is already gone.
func notThere(err error) bool {
	s := err.Error()
	return strings.Contains(s, "No such") || strings.Contains(s, "Cannot find") || strings.Contains(s, "does not exist")
}
