package features

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/netns"
	"pbxlab/internal/pcapio"
	"pbxlab/internal/testpeer"
	"pbxlab/internal/testproc"
	"pbxlab/pbx"
	"pbxlab/pbx/config"
	"pbxlab/pbx/pbxtest"
)

// The NAT tests put phones in a private LAN behind a real masquerading
// router (internal/netns: network namespaces, veth, nftables) and the PBX
// on the host, on the router's link. The phones run in a child process:
// this test binary, re-run inside the LAN namespace with `ip netns exec`,
// where TestMain runs the child's part instead of the tests.

// Environment of the child test binaries.
const (
	natChildEnv    = "PBXLAB_NAT_FEATURES_PBX" // natFeaturesChild: the PBX's address
	natPasswordEnv = "PBXLAB_NAT_PASSWORD"     // the subscribers' password template
)

// natPassword is the password template of the NAT tests' PBX (not the demo
// one: the PBX listens on a non-loopback address).
const natPassword = "nat-{n}-pw"

func requireNAT(t *testing.T) {
	t.Helper()
	testpeer.RequireRoot(t, "the NAT tests create network namespaces, veth pairs and nftables rules")
	testpeer.Require(t, testpeer.IP)
	testpeer.Require(t, testpeer.Nft)
}

// natPBX is a NAT and an in-process PBX listening on the host's end of the
// router's link, capturing every SIP message it sends and receives.
type natPBX struct {
	nat     *netns.NAT
	inst    *pbxtest.Instance
	capture string
	w       *pcapio.Writer
	once    sync.Once
}

func startNATPBX(t *testing.T) *natPBX {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	n, err := netns.NewNAT(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := n.Close(context.Background()); err != nil {
			t.Error(err)
		}
	})
	cfg := config.Demo()
	cfg.SubscriberRanges[0].Password = natPassword
	cfg.Call.ShutdownGrace = 0
	cfg.SIP.Listen = []string{"udp:" + netip.AddrPortFrom(n.HostIP, 0).String()}
	path := t.TempDir() + "/pbx.pcapng"
	w, err := pcapio.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := pbxtest.Start(cfg, pbxtest.Options{KeepListen: true, PBX: []pbx.Option{pbx.WithCapture(w)}})
	if err != nil {
		_ = w.Close()
		t.Fatal(err)
	}
	p := &natPBX{nat: n, inst: inst, capture: path, w: w}
	t.Cleanup(func() { p.stop(t) })
	return p
}

// stop stops the PBX and closes its capture (idempotent).
func (p *natPBX) stop(t *testing.T) {
	t.Helper()
	p.once.Do(func() {
		if err := p.inst.Close(); err != nil {
			t.Error(err)
		}
		if err := p.w.Close(); err != nil {
			t.Error(err)
		}
	})
}

// messages stops the PBX and returns the SIP messages it captured, parsed.
func (p *natPBX) messages(t *testing.T) []capturedSIP {
	t.Helper()
	p.stop(t)
	pkts, err := pcapio.ReadFile(p.capture)
	if err != nil {
		t.Fatal(err)
	}
	var out []capturedSIP
	for _, pk := range pcapio.SIPMessages(pkts) {
		m, err := sip.ParseMessage(pk.Payload)
		if err != nil {
			// sip/interop.feature sends a request whose headers end
			// without the empty line on purpose (the PBX reads it as one
			// without a body): that one parses with the line added
			if m, err = sip.ParseMessage(append(slices.Clip(pk.Payload), "\r\n"...)); err != nil {
				t.Errorf("PBX capture: %s -> %s: unparsable SIP: %v", pk.Src, pk.Dst, err)
				continue
			}
		}
		out = append(out, capturedSIP{src: pk.Src, dst: pk.Dst, msg: m})
	}
	return out
}

type capturedSIP struct {
	src, dst netip.AddrPort
	msg      sip.Message
}

// checkOnlyThroughNAT: the PBX heard the LAN only from the router's public
// address and sent it nothing but there (never to a private address, which
// the host cannot reach anyway: its unreachable route would refuse it), and
// at least one REGISTER named a private address in its Contact from behind
// the NAT: the PBX reached those phones by rport/received (RFC 3581).
func (p *natPBX) checkOnlyThroughNAT(t *testing.T) (registers, invites int) {
	t.Helper()
	self := p.inst.UDP
	for _, m := range p.messages(t) {
		switch {
		case m.dst == self && m.src.Addr() != p.nat.Public:
			t.Errorf("the PBX received %s from %s: want only the NAT's public address %s", short(m.msg), m.src, p.nat.Public)
		case m.src == self && m.dst.Addr() != p.nat.Public:
			t.Errorf("the PBX sent %s to %s: want only the NAT's public address %s", short(m.msg), m.dst, p.nat.Public)
		}
		req, ok := m.msg.(*sip.Request)
		if !ok {
			continue
		}
		switch {
		case req.Method == sip.REGISTER && m.dst == self:
			if c := req.Contact(); c != nil && c.Address.Host != p.nat.Public.String() && c.Address.Host != "" && req.Contact().Address.Host != "*" {
				registers++
			}
		case req.Method == sip.INVITE && m.src == self:
			invites++
		}
	}
	return registers, invites
}

func short(m sip.Message) string {
	line, _, _ := strings.Cut(m.String(), "\r\n")
	if len(line) > 60 {
		line = line[:60]
	}
	return strconv.Quote(line)
}

// TestFeaturesBehindNAT runs the features (those a PBX reached by address
// can run: not @in-process) with every phone behind a real NAT: the
// phones, the raw SIP fixtures and their captures live in the LAN
// namespace, the PBX on the host sees them all at the router's public
// address, with masqueraded ports. The @cap-nat scenarios (a Contact naming
// a private address) and the audio features (two-way audio, negative
// controls) pass across it; media flows phone to phone inside the LAN,
// since both ends of each call are there. The PBX's capture proves that it
// heard and reached the LAN only through the NAT's mappings.
func TestFeaturesBehindNAT(t *testing.T) {
	requireNAT(t)
	p := startNATPBX(t)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 8*time.Minute)
	defer cancel()
	var out bytes.Buffer
	cmd := p.nat.Command(self, "-test.run=^$")
	cmd.Env = append(os.Environ(), natChildEnv+"="+p.inst.UDP.String(), natPasswordEnv+"="+natPassword)
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err = testproc.Run(ctx, cmd)
	t.Logf("features behind the NAT ran in %s", time.Since(start).Round(time.Millisecond))
	if err != nil {
		t.Fatalf("features behind the NAT: %v\n%s", err, out.String())
	}
	m := regexp.MustCompile(`behind NAT: scenarios (\d+), passed (\d+), failed (\d+), skipped (\d+)`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no result line from the child:\n%s", out.String())
	}
	t.Logf("behind the NAT: scenarios %s, passed %s, failed %s, skipped %s (@in-process)", m[1], m[2], m[3], m[4])
	if passed, _ := strconv.Atoi(m[2]); passed < 15 {
		t.Errorf("only %d scenarios passed behind the NAT", passed)
	}
	registers, invites := p.checkOnlyThroughNAT(t)
	if registers == 0 || invites == 0 {
		t.Errorf("PBX capture: %d REGISTERs naming a private Contact, %d INVITEs sent to the LAN; want both", registers, invites)
	}
	t.Logf("PBX capture: %d REGISTERs with a private Contact, %d INVITEs sent into the LAN, all through %s", registers, invites, p.nat.Public)
}

// natFeaturesChild is TestFeaturesBehindNAT's child, run by TestMain
// inside the LAN namespace when PBXLAB_NAT_FEATURES_PBX is set: the
// features against the PBX at that address, as a Live target. It prints
// its result line and returns the exit code.
func natFeaturesChild(addr string) int {
	pw := os.Getenv(natPasswordEnv)
	var numbers []string
	for n := 1050; n <= 1099; n++ {
		numbers = append(numbers, strconv.Itoa(n))
	}
	dir, err := os.MkdirTemp("", "pbxlab-nat-features-")
	if err != nil {
		fmt.Println(err)
		return 1
	}
	defer os.RemoveAll(dir)
	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	res, err := Run(ctx, Options{
		Target:      &Live{Addr: addr, Numbers: numbers, Password: func(n string) string { return strings.ReplaceAll(pw, "{n}", n) }},
		Tags:        os.Getenv("PBXLAB_FEATURES_TAGS"),
		Output:      dir,
		Format:      "progress",
		Out:         &out,
		Concurrency: 2,
	})
	fmt.Printf("behind NAT: scenarios %d, passed %d, failed %d, skipped %d\n", res.Scenarios, res.Passed, res.Failed, res.Skipped)
	if err != nil || !res.OK() || res.Passed == 0 {
		fmt.Printf("behind the NAT: %v\n%s\n%s", err, strings.Join(res.Failures, "\n"), out.String())
		return 1
	}
	return 0
}
