package interop

import (
	"net"
	"os/exec"
	"strings"
	"testing"

	"pbxlab/internal/testproc"
)

// startProc starts cmd in its own process group that dies with the test
// binary (internal/testproc) and registers the cleanup that ends the group
// and then checks that nothing of it outlives the test: every process the
// group had (Kamailio forks workers) is gone and every port in ports
// ("udp:127.0.0.1:5060", "tcp:...") can be bound again.
func startProc(t testing.TB, cmd *exec.Cmd, ports ...string) *testproc.Proc {
	t.Helper()
	p, err := testproc.Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	name := cmd.Args[0]
	t.Cleanup(func() {
		members, err := p.Members()
		if err != nil {
			t.Errorf("list the processes of %s: %v", name, err)
		}
		if err := p.Close(); err != nil {
			t.Errorf("end %s: %v", name, err)
		}
		assertGone(t, name, p, members, ports)
	})
	return p
}

// assertGone fails t if a process of pids still runs, if p's group has a
// member left, or if a port is still bound.
func assertGone(t testing.TB, name string, p *testproc.Proc, pids []int, ports []string) {
	t.Helper()
	for _, pid := range pids {
		if testproc.Alive(pid) {
			t.Errorf("%s: process %d (of group %d) outlives the test", name, pid, p.Pid())
		}
	}
	if left, err := p.Members(); err != nil || len(left) != 0 {
		t.Errorf("%s: group %d still has processes %v (%v)", name, p.Pid(), left, err)
	}
	for _, port := range ports {
		network, addr, _ := strings.Cut(port, ":")
		switch network {
		case "udp":
			c, err := net.ListenPacket("udp4", addr)
			if err != nil {
				t.Errorf("%s: port %s still bound after the test: %v", name, port, err)
				continue
			}
			_ = c.Close()
		default:
			l, err := net.Listen("tcp4", addr)
			if err != nil {
				t.Errorf("%s: port %s still bound after the test: %v", name, port, err)
				continue
			}
			_ = l.Close()
		}
	}
}
