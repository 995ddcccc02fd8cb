package steps

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/cucumber/godog"

	"pbxlab/pbx"
	"pbxlab/pbx/config"
	"pbxlab/pbx/pbxtest"
	"pbxlab/sim/phone"
)

// Addresses of the inter-PBX scenarios (all on loopback, which Linux
// answers on every 127/8 address): the scenario's PBX and its phones are
// on 127.0.0.1, the other PBX on otherPBXIP, and the other PBX's phones on
// otherPhonesIP, so that trusting a PBX by address never trusts a phone.
const (
	otherPBXIP    = "127.0.0.3"
	otherPhonesIP = "127.0.0.4"
	scenarioPBXIP = "127.0.0.1"
)

// otherPBX is a second in-process pbxlab trunked to the scenario's PBX.
type otherPBX struct {
	name          string
	cfg           *config.Config
	port          int // its UDP port on otherPBXIP
	first, last   string
	inst          *pbxtest.Instance
	agentDevice   string // the device (world.agents key) of its phones
	scenarioRoute string
}

// registerInterPBXSteps: two pbxlab instances trunked to each other (issue
// 10's inter-PBX bullet).
func registerInterPBXSteps(sc *godog.ScenarioContext) {
	sc.Given(`^a second PBX "([^"]+)" with subscribers (\d+) to (\d+), trunked to this one for numbers starting with (\d+)$`,
		func(ctx context.Context, name, first, last, prefix string) error {
			w, err := stepWorld(ctx)
			if err != nil {
				return err
			}
			return addOtherPBX(w, name, first, last, prefix)
		})
	sc.Given(`^phone (\d+) is registered on PBX "([^"]+)"$`, step2(registerOnOther))
	sc.Then(`^PBX "([^"]+)" records an answered call from (\d+) to (\d+)$`, step3(otherRecordsCall))
}

// addOtherPBX configures the scenario's PBX to trust the other PBX by
// address and to send numbers starting with prefix out to it, and prepares
// the other PBX (started when one of its phones is first needed, since it
// must know the scenario PBX's port).
func addOtherPBX(w *world, name, first, last, prefix string) error {
	if w.others[name] != nil {
		return fmt.Errorf("%w: PBX %q declared twice", ErrUsage, name)
	}
	if len(first) != len(last) || !strings.HasPrefix(first, prefix) || !strings.HasPrefix(last, prefix) {
		return fmt.Errorf("%w: subscribers %s to %s do not all start with %s", ErrUsage, first, last, prefix)
	}
	port, err := freeUDPPort(otherPBXIP)
	if err != nil {
		return fmt.Errorf("PBX %s: %w", name, err)
	}
	o := &otherPBX{name: name, port: port, first: first, last: last, agentDevice: "pbx " + name, scenarioRoute: "to-" + name}
	err = w.configure(func(c *config.Config) error {
		c.TrustedPeers = append(c.TrustedPeers, config.TrustedPeer{Name: name, Address: otherPBXIP + "/32"})
		c.Peers = append(c.Peers, config.Peer{Name: name, Host: otherPBXIP, Port: port})
		c.Routes = append(c.Routes, config.Route{Name: o.scenarioRoute, Peers: []string{name}})
		c.Numbering.Entries = append(c.Numbering.Entries, config.NumberingEntry{
			Prefix: prefix, Min: len(first), Max: len(first), Kind: "route", Target: o.scenarioRoute})
		return nil
	})
	if err != nil {
		return err
	}
	if w.others == nil {
		w.others = map[string]*otherPBX{}
	}
	w.others[name] = o
	return nil
}

// start runs the other PBX: subscribers first..last (password demo{n}),
// trusting the scenario's PBX by address and sending the scenario PBX's
// subscriber numbers back to it.
func (o *otherPBX) start(scenario netip.AddrPort, scenarioSubs []config.SubscriberRange) error {
	c := config.Demo()
	c.Call.ShutdownGrace = 0
	c.SIP.Listen = []string{fmt.Sprintf("udp:%s:%d", otherPBXIP, o.port)}
	c.SubscriberRanges = []config.SubscriberRange{{From: o.first, To: o.last, Password: "demo{n}"}}
	c.TrustedPeers = []config.TrustedPeer{{Name: "scenario-pbx", Address: scenarioPBXIP + "/32"}}
	c.Peers = []config.Peer{{Name: "scenario-pbx", Host: scenario.Addr().String(), Port: int(scenario.Port())}}
	c.Routes = []config.Route{{Name: "back", Peers: []string{"scenario-pbx"}}}
	for _, r := range scenarioSubs {
		if len(r.From) != len(r.To) || r.From == "" {
			continue
		}
		c.Numbering.Entries = append(c.Numbering.Entries, config.NumberingEntry{
			Prefix: r.From[:1], Min: len(r.From), Max: len(r.From), Kind: "route", Target: "back"})
	}
	if err := c.Validate(); err != nil {
		return fmt.Errorf("PBX %s: %w", o.name, err)
	}
	inst, err := pbxtest.Start(c, pbxtest.Options{KeepListen: true})
	if err != nil {
		return fmt.Errorf("PBX %s: %w", o.name, err)
	}
	o.cfg, o.inst = c, inst
	return nil
}

// other returns the named other PBX, starting it (and the scenario's PBX)
// on first use, with an Agent for its phones.
func (w *world) other(ctx context.Context, name string) (*otherPBX, error) {
	o := w.others[name]
	if o == nil {
		return nil, fmt.Errorf("%w: no PBX %q (declare it: a second PBX %q with subscribers …)", ErrUsage, name, name)
	}
	if o.inst != nil {
		return o, nil
	}
	if _, err := w.endpoint(ctx); err != nil {
		return nil, err
	}
	scenario := w.inProcessUDP()
	if !scenario.IsValid() {
		return nil, fmt.Errorf("%w: PBX %s needs the scenario's PBX in-process (tag @in-process)", ErrUsage, name)
	}
	var subs []config.SubscriberRange
	if s, ok := w.sess.(*inProcessSession); ok {
		s.mu.Lock()
		subs = append(subs, s.cfg.SubscriberRanges...)
		s.mu.Unlock()
	}
	if err := o.start(scenario, subs); err != nil {
		return nil, err
	}
	a, err := phone.NewAgent(phone.Config{
		LocalIP:   netip.MustParseAddr(otherPhonesIP),
		Target:    o.inst.Target(),
		Transport: phone.UDP,
		Domain:    o.inst.UDP.Addr().String(),
	}, phone.WithCapture(w.cap.w), phone.WithLogger(w.log), phone.WithQuality(w.quality))
	if err != nil {
		return nil, fmt.Errorf("start phones of PBX %s: %w", name, err)
	}
	w.mu.Lock()
	w.agents[o.agentDevice] = a
	w.mu.Unlock()
	return o, nil
}

// registerOnOther registers a subscriber of the other PBX there; the
// scenario's steps then name it like any other number.
func registerOnOther(ctx context.Context, w *world, number, name string) error {
	o, err := w.other(ctx, name)
	if err != nil {
		return err
	}
	if len(number) != len(o.first) || number < o.first || number > o.last {
		return fmt.Errorf("%w: %s is not a subscriber of PBX %s (%s to %s)", ErrUsage, number, name, o.first, o.last)
	}
	w.mu.Lock()
	w.subs[number] = Subscriber{Number: number, Password: "demo" + number}
	w.mu.Unlock()
	return registerPhone(ctx, w, number, o.agentDevice, 0)
}

// otherRecordsCall waits for the other PBX's CDR of an answered call.
func otherRecordsCall(ctx context.Context, w *world, name, caller, dialled string) error {
	o, err := w.other(ctx, name)
	if err != nil {
		return err
	}
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	var last []pbx.CDR
	for {
		rs, err := o.inst.Server.ListCDRs(wctx, pbx.CDRFilter{})
		if err == nil {
			last = rs
			for _, r := range rs {
				if r.Caller == caller && r.Dialled == dialled && r.Disposition == pbx.Answered {
					if rec, err := w.currentCall(); err == nil {
						rec.checked = true
					}
					return nil
				}
			}
		}
		select {
		case <-wctx.Done():
			return fmt.Errorf("%w: PBX %s has no answered CDR from %s to %s (has %v)", ErrExpectation, name, caller, dialled, last)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// closeOthers stops the other PBXs.
func (w *world) closeOthers() error {
	var errs []error
	for _, o := range w.others {
		if o.inst != nil {
			errs = append(errs, o.inst.Close())
		}
	}
	return errors.Join(errs...)
}

// freeUDPPort is a UDP port free on ip.
func freeUDPPort(ip string) (int, error) {
	pc, err := net.ListenPacket("udp4", ip+":0")
	if err != nil {
		return 0, err
	}
	defer pc.Close()
	return pc.LocalAddr().(*net.UDPAddr).Port, nil
}
