package pbxcontainer

import (
	"bytes"
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/leakcheck"
	"pbxlab/internal/pcapio"
	"pbxlab/pbx/config"
	"pbxlab/sim/phone"
)

// testConfig is DefaultConfig: the demo numbering with passwords ct-{n}-pw.
func testConfig() *config.Config { return DefaultConfig() }

func runPBX(t *testing.T, o PBXOptions) *PBX {
	t.Helper()
	start := time.Now()
	p, err := StartPBX(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("pbx container %.12s up in %s (on the network %s, published %s)", p.ID(), time.Since(start).Round(time.Millisecond), p.IP(), p.Host())
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if t.Failed() {
			t.Logf("pbx log:\n%s", p.Logs(ctx))
		}
		if err := p.Terminate(ctx); err != nil {
			t.Error(err)
		}
	})
	return p
}

// Phones on the host reach the PBX container at the port published on the
// network's gateway; the PBX sees them at their real address (the one in
// their Contact), calls between them carry two-way audio, and SIGTERM
// stops the PBX gracefully (exit code 0).
func TestHostPhonesThroughPublishedPort(t *testing.T) {
	img := shared.image(t)
	leakcheck.Check(t)
	nw := newNetwork(t)
	cfg := testConfig()
	p := runPBX(t, PBXOptions{Image: img, Network: nw, Config: cfg, Publish: true, Capture: true, Log: testLogger(t)})
	if p.Host().Addr() != nw.Gateway() {
		t.Fatalf("published on %s, want the gateway %s", p.Host(), nw.Gateway())
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	agent, err := phone.NewAgent(phone.Config{Target: p.Host().String()})
	if err != nil {
		t.Fatal(err)
	}
	defer agent.Close()
	var phones []*phone.Phone
	for _, n := range []string{"1001", "1002"} {
		ph, err := agent.NewPhone(phone.PhoneConfig{Number: n, Password: "ct-" + n + "-pw"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ph.Register(ctx); err != nil {
			t.Fatalf("register %s: %v", n, err)
		}
		phones = append(phones, ph)
	}
	contact := phones[1].Contact()
	if !strings.Contains(contact, nw.Gateway().String()+":") {
		t.Fatalf("phone contact %s: want the gateway address %s (the phone binds the address that routes to the PBX)", contact, nw.Gateway())
	}
	call, err := phones[0].Dial(ctx, "1002")
	if err != nil {
		t.Fatal(err)
	}
	if err := call.WaitAnswer(ctx); err != nil {
		t.Fatalf("call 1001 -> 1002: %v", err)
	}
	in := phones[1].Calls()
	if len(in) != 1 {
		t.Fatalf("1002 has %d calls, want 1", len(in))
	}
	actx, acancel := context.WithTimeout(ctx, 10*time.Second)
	tw, err := phone.VerifyTwoWay(actx, call, in[0])
	acancel()
	if err != nil || !tw.OK() {
		t.Fatalf("two-way audio: %+v, %v", tw, err)
	}
	if err := call.Hangup(ctx); err != nil {
		t.Fatal(err)
	}

	if err := p.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if code, err := p.ExitCode(ctx); err != nil || code != 0 {
		t.Errorf("pbx exit code %d (%v), want 0 after SIGTERM", code, err)
	}
	capture, err := p.CopyOut(ctx, CapturePath)
	if err != nil {
		t.Fatal(err)
	}
	pkts, err := pcapio.Read(bytes.NewReader(capture))
	if err != nil {
		t.Fatal(err)
	}
	// The PBX's own capture: every REGISTER came from the phones' agent
	// socket, at the gateway address and the port in their Contact (no
	// NAT between the host's phones and the container).
	agentAddr := netip.MustParseAddrPort(strings.TrimSuffix(contact[strings.Index(contact, "@")+1:], ">"))
	registers := 0
	for _, pk := range pcapio.SIPMessages(pkts) {
		m, err := sip.ParseMessage(pk.Payload)
		if err != nil {
			continue
		}
		if req, ok := m.(*sip.Request); ok && req.Method == sip.REGISTER {
			registers++
			if pk.Src != agentAddr {
				t.Errorf("REGISTER from %s, want the phone's own address %s", pk.Src, agentAddr)
			}
		}
	}
	if registers < 2 {
		t.Errorf("%d REGISTERs in the PBX's capture, want at least 2", registers)
	}
}

func TestStartPBXNeedsImageNetworkConfig(t *testing.T) {
	if _, err := StartPBX(context.Background(), PBXOptions{}); err == nil {
		t.Fatal("want an error")
	}
}
