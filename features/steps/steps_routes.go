package steps

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/cucumber/godog"
	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/testua"
	"pbxlab/pbx/config"
	"pbxlab/sim/phone"
)

// A carrier is a peer of the PBX (config peers[]) played by an
// internal/testua UA on a UDP socket of its own: the socket is bound when
// the scenario declares the carrier (its address goes into the PBX's
// configuration), the UA opened on first use, once the PBX runs (what the
// PBX sent meanwhile waits in the socket). testua's DefaultAuto answers
// 100 Trying, ACKs and BYEs; the steps answer the INVITEs.
type carrier struct {
	name string
	pc   net.PacketConn
	ua   *testua.UA
	seen int              // INVITEs the steps took so far
	cur  *testua.Incoming // the INVITE the last step took
}

// routeScenario is the scenario's carriers (world.routing).
type routeScenario struct {
	carriers map[string]*carrier
	// drawn and other are the carriers of the last call of a weighted
	// route: the one it reached first, and the rest (steps_schedules.go)
	drawn string
	other []string
}

// registerRouteSteps: routes to simulated carriers (config routes[] and
// peers[]), outside numbers, a carrier's answers.
func registerRouteSteps(sc *godog.ScenarioContext) {
	sc.Given(`^carrier "([^"]+)" is a peer of the PBX$`, step1(addCarrier))
	sc.Given(`^route "([^"]+)" tries carrier "([^"]+)", then carrier "([^"]+)"$`, step3(func(_ context.Context, w *world, route, a, b string) error {
		return w.configure(func(c *config.Config) error {
			c.Routes = append(c.Routes, config.Route{Name: route, Peers: []string{a, b}})
			return nil
		})
	}))
	sc.Given(`^numbers starting with (\d+) go out through route "([^"]+)" with that prefix removed$`, step2(routePrefix))
	sc.When(`^(\d+) dials the outside number (\d+)$`, step2(func(ctx context.Context, w *world, caller, number string) error {
		_, err := dial(ctx, w, caller, "", number)
		return err
	}))
	sc.When(`^an INVITE from (\d+) to the outside number (\d+) arrives without credentials$`, step2(func(ctx context.Context, w *world, a, number string) error {
		return sendRawInviteTo(ctx, w, a, number, number, "invite-no-credentials.sip")
	}))
	sc.Then(`^carrier "([^"]+)" receives the call for (\d+)$`, step2(carrierReceives))
	sc.When(`^carrier "([^"]+)" refuses the call with (\d+)$`, step2(func(_ context.Context, w *world, name string, code int) error {
		c, err := w.carrierCall(name)
		if err != nil {
			return err
		}
		return c.cur.Reply(code, reasonOf(code))
	}))
	sc.When(`^carrier "([^"]+)" answers$`, step1(carrierAnswers))
	sc.Then(`^(\d+) is connected to carrier "([^"]+)"$`, step2(connectedToCarrier))
	sc.Then(`^carrier "([^"]+)" receives no call$`, step1(carrierNoCall))
	sc.Then(`^the call to carrier "([^"]+)" ends normally$`, step1(carrierCallEnds))
}

// addCarrier binds the carrier's socket and makes it a peer of the PBX at
// that address (UDP, whatever the phones use).
func addCarrier(_ context.Context, w *world, name string) error {
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("carrier %s: %w", name, err)
	}
	port := pc.LocalAddr().(*net.UDPAddr).Port
	w.mu.Lock()
	if w.routing == nil {
		w.routing = &routeScenario{carriers: map[string]*carrier{}}
	}
	if w.routing.carriers[name] != nil {
		w.mu.Unlock()
		_ = pc.Close()
		return fmt.Errorf("%w: carrier %s declared twice", ErrUsage, name)
	}
	w.routing.carriers[name] = &carrier{name: name, pc: pc}
	w.mu.Unlock()
	return w.configure(func(c *config.Config) error {
		c.Peers = append(c.Peers, config.Peer{Name: name, Host: "127.0.0.1", Port: port, Transport: config.TransportUDP})
		return nil
	})
}

// routePrefix sends the numbers starting with prefix (and at least one
// digit more) out through route, the prefix stripped after analysis (a
// rule of the route's terminating device).
func routePrefix(_ context.Context, w *world, prefix, route string) error {
	dev := "route-" + route
	return w.configure(func(c *config.Config) error {
		c.Numbering.Devices = append(c.Numbering.Devices, config.NumberingDevice{Name: dev, Kind: "peer"})
		c.Numbering.Entries = append(c.Numbering.Entries, config.NumberingEntry{Prefix: prefix, Min: len(prefix) + 1, Kind: "route", Target: route, Device: dev})
		c.Numbering.Bindings = append(c.Numbering.Bindings, config.NumberingBinding{Scope: "terminating-device", Key: dev,
			Rules: []config.NumberingRule{{Number: "called", Prefix: prefix, Strip: len(prefix)}}})
		return nil
	})
}

// carrierUA returns the carrier's UA, opening it (and starting the PBX)
// on first use.
func (w *world) carrierUA(ctx context.Context, name string) (*carrier, error) {
	w.mu.Lock()
	var c *carrier
	if w.routing != nil {
		c = w.routing.carriers[name]
	}
	w.mu.Unlock()
	if c == nil {
		return nil, fmt.Errorf("%w: no carrier %q (declare it: carrier %q is a peer of the PBX)", ErrUsage, name, name)
	}
	if c.ua != nil {
		return c, nil
	}
	ep, err := w.endpoint(ctx)
	if err != nil {
		return nil, err
	}
	// the carrier talks to the PBX's UDP listener whatever the phones use
	pbxAddr := netip.AddrPortFrom(ep.Addr.Addr(), ep.Addr.Port())
	if ep.Transport != "udp" {
		if inst := w.inProcessUDP(); inst.IsValid() {
			pbxAddr = inst
		}
	}
	ua, err := testua.New(testua.Config{Transport: "udp", PBX: pbxAddr, User: name},
		testua.WithPacketConn(c.pc), testua.WithCapture(w.cap.w), testua.WithLogger(w.log),
		testua.WithAuto(testua.DefaultAuto&^testua.AutoRinging))
	if err != nil {
		return nil, fmt.Errorf("carrier %s: %w", name, err)
	}
	c.ua = ua
	return c, nil
}

// inProcessUDP is the in-process PBX's UDP listener (invalid when the
// target is not in-process).
func (w *world) inProcessUDP() netip.AddrPort {
	if s, ok := w.sess.(*inProcessSession); ok {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.inst != nil {
			return s.inst.UDP
		}
	}
	return netip.AddrPort{}
}

// carrierCall returns the carrier whose current INVITE a step answers.
func (w *world) carrierCall(name string) (*carrier, error) {
	c, err := w.carrierUA(context.Background(), name)
	if err != nil {
		return nil, err
	}
	if c.cur == nil {
		return nil, fmt.Errorf("%w: carrier %s has no call (\"carrier %q receives the call for …\")", ErrUsage, name, name)
	}
	return c, nil
}

// carrierReceives waits for the carrier's next INVITE and checks the
// number it is for (the Request-URI user: the called number after
// substitution).
func carrierReceives(ctx context.Context, w *world, name, number string) error {
	c, err := w.carrierUA(ctx, name)
	if err != nil {
		return err
	}
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	invites := func() []*testua.Incoming { return c.ua.Incoming(testua.Method(sip.INVITE)) }
	if err := c.ua.Until(wctx, func() bool { return len(invites()) > c.seen }); err != nil {
		return fmt.Errorf("%w: carrier %s received no call: %w", ErrExpectation, name, err)
	}
	c.cur = invites()[c.seen]
	c.seen++
	if got := c.cur.Request().Recipient.User; got != number {
		return fmt.Errorf("%w: carrier %s received a call for %q, want %q", ErrExpectation, name, got, number)
	}
	return nil
}

// carrierAnswers answers the carrier's current INVITE with 200 and its
// SDP answer, retransmitted until the PBX's ACK.
func carrierAnswers(ctx context.Context, w *world, name string) error {
	c, err := w.carrierCall(name)
	if err != nil {
		return err
	}
	res, err := c.cur.Answer()
	if err != nil {
		return fmt.Errorf("carrier %s answers: %w", name, err)
	}
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	if _, err := c.cur.RespondUntilAck(wctx, res); err != nil {
		return fmt.Errorf("%w: carrier %s's 200 was not ACKed: %w", ErrExpectation, name, err)
	}
	return nil
}

// connectedToCarrier checks that the caller's call is answered, and that
// none of what the caller got on the way was a 503.
func connectedToCarrier(ctx context.Context, w *world, caller, name string) error {
	rec, err := w.placedBy(caller)
	if err != nil {
		return err
	}
	if _, err := w.carrierCall(name); err != nil {
		return err
	}
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	if err := rec.out.WaitAnswer(wctx); err != nil {
		return fmt.Errorf("%w: %s is not connected: %w", ErrExpectation, rec, err)
	}
	for _, code := range append(rec.out.Provisional(), rec.out.Code()) {
		if code == 503 {
			return fmt.Errorf("%w: %s saw a 503", ErrExpectation, caller)
		}
	}
	return nil
}

// carrierNoCall checks that no INVITE reaches the carrier within the
// quiet window.
func carrierNoCall(ctx context.Context, w *world, name string) error {
	c, err := w.carrierUA(ctx, name)
	if err != nil {
		return err
	}
	qctx, cancel := context.WithCancel(ctx)
	defer cancel()
	window := w.suite.cfg.Clock.After(quietWindow)
	go func() {
		select {
		case <-window:
			cancel()
		case <-qctx.Done():
		}
	}()
	err = c.ua.Until(qctx, func() bool { return len(c.ua.Incoming(testua.Method(sip.INVITE))) > c.seen })
	if err == nil {
		in := c.ua.Incoming(testua.Method(sip.INVITE))[c.seen]
		return fmt.Errorf("%w: carrier %s received a call for %s", ErrExpectation, name, in.Request().Recipient.User)
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return nil
}

// carrierCallEnds checks the end of the current call after its caller
// hung up: the caller's leg ended by its own BYE, and the carrier got the
// PBX's BYE for the dialog it answered.
func carrierCallEnds(ctx context.Context, w *world, name string) error {
	rec, err := w.currentCall()
	if err != nil {
		return err
	}
	rec.checked = true
	c, err := w.carrierCall(name)
	if err != nil {
		return err
	}
	if rec.hungUpBy != rec.caller {
		return fmt.Errorf("%w: %s was not hung up by its caller", ErrUsage, rec)
	}
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	end, err := rec.out.Wait(wctx)
	if err != nil {
		return fmt.Errorf("%w: %s did not end: %w", ErrExpectation, rec, err)
	}
	if end.Reason != phone.ReasonBye || end.By != phone.Local || end.Err != nil {
		return fmt.Errorf("%w: %s ended by %s with %s (%v), want the caller's BYE", ErrExpectation, rec, end.By, end.Reason, end.Err)
	}
	callID := c.cur.Request().CallID().Value()
	if _, err := c.ua.AwaitIncoming(wctx, testua.And(testua.Method(sip.BYE), testua.CallID(callID))); err != nil {
		return fmt.Errorf("%w: carrier %s got no BYE for the call: %w", ErrExpectation, name, err)
	}
	return nil
}

// closeCarriers closes the carriers' UAs (or their sockets, when never
// opened).
func (w *world) closeCarriers() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.routing == nil {
		return nil
	}
	var errs []error
	for _, c := range w.routing.carriers {
		if c.ua != nil {
			errs = append(errs, c.ua.Close())
		} else if err := c.pc.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// reasonOf is a reason phrase for the codes a carrier refuses with.
func reasonOf(code int) string {
	switch code {
	case 404:
		return "Not Found"
	case 408:
		return "Request Timeout"
	case 480:
		return "Temporarily Unavailable"
	case 486:
		return "Busy Here"
	case 500:
		return "Server Internal Error"
	case 502:
		return "Bad Gateway"
	case 503:
		return "Service Unavailable"
	case 603:
		return "Decline"
	}
	return "Refused"
}
