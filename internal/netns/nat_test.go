package netns

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"pbxlab/internal/testpeer"
	"pbxlab/internal/testproc"
)

// helperEnv makes the test binary, re-run inside the LAN namespace, a UDP
// client: it sends "ping" to the address in the variable and prints what
// came back.
const helperEnv = "PBXLAB_NETNS_TEST_PING"

func TestMain(m *testing.M) {
	if to := os.Getenv(helperEnv); to != "" {
		os.Exit(ping(to))
	}
	os.Exit(m.Run())
}

func ping(to string) int {
	c, err := net.Dial("udp", to)
	if err != nil {
		fmt.Println("dial:", err)
		return 1
	}
	defer c.Close()
	if _, err := c.Write([]byte("ping from " + c.LocalAddr().String())); err != nil {
		fmt.Println("write:", err)
		return 1
	}
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 1500)
	n, err := c.Read(buf)
	if err != nil {
		fmt.Println("read:", err)
		return 1
	}
	fmt.Printf("%s\n", buf[:n])
	return 0
}

func requireNAT(t *testing.T) {
	t.Helper()
	testpeer.RequireRoot(t, "network namespaces, veth pairs and nftables rules need it")
	testpeer.Require(t, testpeer.IP)
	testpeer.Require(t, testpeer.Nft)
}

// The LAN host reaches the host only through the router's masquerade: the
// host sees the router's public address and a port of the NAT's choosing,
// answers there, and the answer gets back in; the LAN's private address
// cannot be reached from the host.
func TestNATMasqueradesTheLAN(t *testing.T) {
	requireNAT(t)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	n, err := NewNAT(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := n.Close(context.WithoutCancel(ctx)); err != nil {
			t.Error(err)
		}
	}()
	pc, err := net.ListenPacket("udp", netip.AddrPortFrom(n.HostIP, 0).String())
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	got := make(chan string, 1)
	go func() {
		buf := make([]byte, 1500)
		k, from, err := pc.ReadFrom(buf)
		if err != nil {
			got <- "read: " + err.Error()
			return
		}
		src := from.(*net.UDPAddr).AddrPort()
		_, _ = pc.WriteTo(fmt.Appendf(nil, "pong to %s", src), from)
		got <- fmt.Sprintf("%s|%s", src, buf[:k])
	}()

	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	cmd := n.Command(self, "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+pc.LocalAddr().String())
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := testproc.Run(ctx, cmd); err != nil {
		t.Fatalf("ping from the LAN: %v\n%s", err, out.Bytes())
	}
	seen := <-got
	src, msg, _ := strings.Cut(seen, "|")
	from, err := netip.ParseAddrPort(src)
	if err != nil {
		t.Fatalf("host read %q", seen)
	}
	if from.Addr() != n.Public {
		t.Errorf("the host saw the LAN at %s, want the router's public address %s", from, n.Public)
	}
	if !strings.Contains(msg, n.PhoneIP.String()+":") {
		t.Errorf("the LAN host says it sent from %q, want its private address %s", msg, n.PhoneIP)
	}
	if !strings.Contains(out.String(), "pong to "+from.String()) {
		t.Errorf("the answer did not get back through the NAT: %q", out.String())
	}
	// the private address: refused by the host's unreachable route
	if _, err := pc.WriteTo([]byte("direct"), net.UDPAddrFromAddrPort(netip.AddrPortFrom(n.PhoneIP, 9))); err == nil {
		t.Errorf("the host sent to the private address %s: want it unreachable", n.PhoneIP)
	}
	t.Logf("LAN %s behind %s; the host saw %s", n.PhoneIP, n.Public, from)
}

func TestSweepLeavesLiveOwners(t *testing.T) {
	requireNAT(t)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	n, err := NewNAT(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close(context.WithoutCancel(ctx))
	gone, err := Sweep(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range gone {
		if g == n.LAN || g == n.Router {
			t.Errorf("Sweep removed %s, whose owner (this test) runs", g)
		}
	}
	if err := testproc.Run(ctx, exec.Command("ip", "netns", "exec", n.LAN, "true")); err != nil {
		t.Errorf("namespace %s gone after Sweep: %v", n.LAN, err)
	}
}
