package interop

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"pbxlab/internal/testpeer"
	"pbxlab/pbx/config"
	"pbxlab/pbx/pbxtest"
)

// The addresses of TestTrunkThroughKamailio, all on loopback: the PBX and
// its phones on 127.0.0.1, the carrier (Kamailio) on its own address so
// that the trunk's ACL (the carrier's address) never covers a phone, the
// "PSTN" caller (SIPp UAC) on the address the carrier treats as the
// outside world, the "PSTN" callee (SIPp UAS) on another.
const (
	carrierIP    = "127.0.0.6"
	pstnCallerIP = "127.0.0.2"
	pstnCalleeIP = "127.0.0.7"
	trunkUser    = "pbxtrunk"
	trunkPW      = "trunk-secret"
)

// TestTrunkThroughKamailio: a carrier nobody here wrote. Kamailio (Debian
// package, interop/testdata/kamailio-carrier.cfg) is the carrier's
// registrar and proxy, with digest authentication of the trunk account.
// pbxlab registers its trunk there (answering the 401), places an outbound
// call through it (answering its 407 with the trunk's credentials) that a
// SIPp UAS answers, and takes an inbound call from a SIPp UAC through
// Kamailio to its registered contact, whose DID (the To header) reaches
// subscriber 1001.
func TestTrunkThroughKamailio(t *testing.T) {
	kam := testpeer.Require(t, testpeer.Kamailio)
	sipp := requireSIPp(t)
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	// the PSTN callee
	uasPort := freePort(t, "udp", pstnCalleeIP)
	uas := startSIPp(t, sipp, dir, "uas", "-sf", scenario(t, "uas.xml"), "-i", pstnCalleeIP, "-p", strconv.Itoa(uasPort))

	// the carrier
	kport := freePort(t, "udp", carrierIP)
	listen := fmt.Sprintf("udp:%s:%d", carrierIP, kport)
	cmd := exec.Command(kam, "-f", "testdata/kamailio-carrier.cfg", "-DD", "-E", "-m", "64", "-M", "8",
		"-l", listen,
		"-A", fmt.Sprintf(`UAS_ADDR="%s:%d"`, pstnCalleeIP, uasPort),
		"-A", fmt.Sprintf(`PSTN_IP="%s"`, pstnCallerIP),
		"-A", fmt.Sprintf(`TRUNK_USER="%s"`, trunkUser),
		"-A", fmt.Sprintf(`TRUNK_PW="%s"`, trunkPW),
		"-Y", dir, "-P", filepath.Join(dir, "kamailio.pid"))
	klog := filepath.Join(dir, "kamailio.log")
	logf, err := os.Create(klog)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	cmd.Stdout, cmd.Stderr = logf, logf
	proc := startProc(t, cmd, listen)
	time.Sleep(time.Second) // Kamailio forks its workers
	waitWorkers(t, proc)

	// the PBX: trunk "carrier" registered at Kamailio; 9 + number goes out
	// through it (the 9 stripped); DIDs 555xxxx from it reach xxxx
	cfg, err := config.Parse("trunk.yaml", fmt.Appendf(nil, `
subscriber_ranges: [{from: "1000", to: "1009", password: "pw{n}"}]
peers:
  - name: carrier
    host: %q
    port: %d
    username: %s
    password: %s
    register: {expires: 120s}
    device: pstn-in
routes: [{name: out, peers: [carrier]}]
numbering:
  devices:
    - {name: pstn-out, kind: peer}
    - {name: pstn-in, kind: peer, in_domain: true}
  entries:
    - {prefix: "9", min: 5, max: 21, kind: route, target: out, device: pstn-out}
  bindings:
    - {scope: terminating-device, key: pstn-out, rules: [{number: called, prefix: "9", strip: 1}]}
    - {scope: originating-device, key: pstn-in, rules: [{number: called, prefix: "555", strip: 3}]}
`, carrierIP, kport, trunkUser, trunkPW))
	if err != nil {
		t.Fatal(err)
	}
	in, err := pbxtest.Start(cfg, pbxtest.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = in.Close() })

	t.Run("the trunk registers with digest", func(t *testing.T) {
		for {
			st, ok := in.Server.TrunkRegistration("carrier")
			if !ok {
				t.Fatal("no registration state for peer carrier")
			}
			if st.Registered {
				if st.Code != 200 || st.Expires <= 0 {
					t.Errorf("registered with %d, lifetime %s", st.Code, st.Expires)
				}
				return
			}
			select {
			case <-ctx.Done():
				t.Fatalf("the trunk never registered (last: %+v)\nkamailio log:\n%s", st, tail(klog, 30))
			case <-time.After(100 * time.Millisecond):
			}
		}
	})

	p, incoming := simPhone(ctx, t, in, "1001")

	t.Run("an outbound call through the carrier to a SIPp UAS", func(t *testing.T) {
		c, err := p.Dial(ctx, "902012345678")
		if err != nil {
			t.Fatalf("dial: %v\nkamailio log:\n%s", err, tail(klog, 30))
		}
		if err := c.WaitAnswer(ctx); err != nil {
			t.Fatalf("the call out was not answered: %v\nkamailio log:\n%s", err, tail(klog, 30))
		}
		if err := c.Hangup(ctx); err != nil {
			t.Fatal(err)
		}
		st, err := uas.waitCalls(1, 15*time.Second)
		if err != nil || st.Successful != 1 || st.Failed != 0 {
			t.Errorf("SIPp UAS: want 1 successful call, got %+v (%v)\n%s", st, err, uas.res.diagnostics())
		}
		// Kamailio logs the call only once the trunk's credentials passed
		// its 407, with the number after the PBX stripped the 9
		if !logHas(klog, "carrier: outbound to 02012345678 ") {
			t.Errorf("Kamailio did not authenticate and route the call to 02012345678:\n%s", tail(klog, 30))
		}
	})

	t.Run("an inbound call from SIPp through the carrier reaches 1001 by DID", func(t *testing.T) {
		res := runSIPp(ctx, t, sipp, dir, "uac",
			"-sf", scenario(t, "uac.xml"), "-s", "5551001",
			"-i", pstnCallerIP, "-p", strconv.Itoa(freePort(t, "udp", pstnCallerIP)),
			"-m", "1", "-d", "500", "-recv_timeout", "20000",
			netip.AddrPortFrom(netip.MustParseAddr(carrierIP), uint16(kport)).String())
		t.Log(res)
		if res.ExitCode != 0 || res.Successful != 1 {
			t.Fatalf("SIPp UAC: want 1 successful call, got %s\n%s\nkamailio log:\n%s", res, res.diagnostics(), tail(klog, 30))
		}
		if !logHas(klog, "carrier: inbound DID 5551001 to sip:"+trunkUser+"@") {
			t.Errorf("Kamailio did not send DID 5551001 to the PBX's registered contact:\n%s", tail(klog, 30))
		}
		select {
		case c := <-incoming:
			if got := c.Remote(); got != "sipp" {
				t.Errorf("1001 sees the call from %q, want the PSTN caller sipp", got)
			}
		default:
			t.Error("1001 received no call")
		}
	})
}

// logHas reports whether the file at path contains s.
func logHas(path, s string) bool {
	b, err := os.ReadFile(path)
	return err == nil && strings.Contains(string(b), s)
}
