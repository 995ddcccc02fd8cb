package steps

import (
	"context"
	"fmt"
	"strconv"

	"github.com/cucumber/godog"

	"pbxlab/internal/testdns"
	"pbxlab/pbx/config"
	"pbxlab/sim/phone"
)

// dnsScenario is the scenario's DNS server (internal/testdns on loopback)
// and which scenario number each DNS name reaches.
type dnsScenario struct {
	srv   *testdns.Server
	hosts map[string]string // DNS name → scenario number
}

// registerDNSSteps: RFC 3263 — a subscriber reached at a DNS name whose
// SRV records name simulated devices (features/sip/dns.feature).
func registerDNSSteps(sc *godog.ScenarioContext) {
	sc.Given(`^(\d+) is reached through the DNS name "([^"]+)"$`, step2(reachedByDNS))
	sc.Given(`^the DNS SRV record of priority (\d+) for "([^"]+)" names device "([^"]+)"(?:, which answers every call with (\d{3}))?$`, srvDevice)
}

// reachedByDNS starts the scenario's DNS server (once), points the PBX at
// it and gives the number a static contact sip:<number>@host.
func reachedByDNS(_ context.Context, w *world, name, host string) error {
	sub, err := w.subscriber(name)
	if err != nil {
		return err
	}
	w.mu.Lock()
	if w.dns == nil {
		srv, err := testdns.New()
		if err != nil {
			w.mu.Unlock()
			return err
		}
		w.dns = &dnsScenario{srv: srv, hosts: map[string]string{}}
	}
	w.dns.hosts[host] = name
	addr := w.dns.srv.Addr
	w.mu.Unlock()
	return w.configure(func(c *config.Config) error {
		c.DNS.Servers = []string{addr}
		return editSubscriber(c, sub.Number, func(s *config.Subscriber) {
			s.Contacts = append(s.Contacts, "sip:"+sub.Number+"@"+host)
		})
	})
}

// srvDevice starts a device of the number host reaches — its own phone
// agent on UDP (whatever the scenario's transport: the PBX reaches it as
// _sip._udp) — and publishes an SRV record of priority prio naming it, with
// the A/AAAA record of its address. With code the device answers every
// call with that status at once (503: a server out of service).
func srvDevice(ctx context.Context, prio int, host, device, code string) error {
	w, err := stepWorld(ctx)
	if err != nil {
		return err
	}
	w.mu.Lock()
	d := w.dns
	w.mu.Unlock()
	if d == nil || d.hosts[host] == "" {
		return fmt.Errorf("%w: no number is reached through %q (a step \"<number> is reached through the DNS name\" first)", ErrUsage, host)
	}
	name := d.hosts[host]
	reject := 0
	if code != "" {
		if reject, err = strconv.Atoi(code); err != nil || reject < 300 || reject > 699 {
			return fmt.Errorf("%w: answer code %q is no final failure", ErrUsage, code)
		}
	}
	ep, err := w.endpoint(ctx)
	if err != nil {
		return err
	}
	a, err := phone.NewAgent(phone.Config{LocalIP: ep.Addr.Addr(), Transport: "udp", Domain: ep.Domain},
		phone.WithCapture(w.cap.w), phone.WithLogger(w.log), phone.WithQuality(w.quality))
	if err != nil {
		return fmt.Errorf("start device %q: %w", device, err)
	}
	w.mu.Lock()
	if w.agents[device] != nil {
		w.mu.Unlock()
		_ = a.Close()
		return fmt.Errorf("%w: device %q already exists in this scenario", ErrUsage, device)
	}
	w.agents[device] = a
	w.mu.Unlock()
	_, err = w.newPhone(ctx, name, device, func(pc *phone.PhoneConfig) {
		if reject == 0 {
			return
		}
		record := pc.OnIncoming
		pc.OnIncoming = func(c *phone.Call) {
			record(c)
			go func() {
				rctx, cancel := context.WithTimeout(context.Background(), w.suite.cfg.Wait)
				defer cancel()
				if err := c.Reject(rctx, reject); err != nil {
					w.log.Warn("device reject", "device", device, "error", err)
				}
			}()
		}
	})
	if err != nil {
		return err
	}
	target := device + "." + host + "."
	rr := "A"
	if a.Addr().Addr().Is6() {
		rr = "AAAA"
	}
	return d.srv.AddRecords(
		fmt.Sprintf("_sip._udp.%s. 60 IN SRV %d 0 %d %s", host, prio, a.Addr().Port(), target),
		fmt.Sprintf("%s 60 IN %s %s", target, rr, a.Addr().Addr()),
	)
}
