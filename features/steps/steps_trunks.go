package steps

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"time"

	"github.com/cucumber/godog"
	"github.com/emiago/sipgo/sip"

	"pbxlab/pbx/config"
	simcarrier "pbxlab/sim/carrier"
	"pbxlab/sim/phone"
)

// trunkIP is where the scenario's sim/carrier trunks listen: a loopback
// address of their own, away from the phones on 127.0.0.1 (the PBX's
// default acl, the carrier's address and port, would tell them apart
// anyway).
var trunkIP = netip.AddrFrom4([4]byte{127, 0, 0, 2})

// trunk is a carrier of the scenario played by sim/carrier: the PBX
// registers with it (peers[].register) and calls go both ways.
type trunk struct {
	name    string
	account simcarrier.Account
	contact string // the PBX's registration contact user
	c       *simcarrier.Carrier
	seen    int // INVITEs the steps took so far
}

// trunkScenario is the scenario's trunks (world.trunks) and the DIDs
// configured, DID → scenario number.
type trunkScenario struct {
	trunks map[string]*trunk
	dids   map[string]string
}

// registerTrunkSteps: SIP trunks to sim/carrier carriers (registration,
// inbound DIDs, caller ID, qualify).
func registerTrunkSteps(sc *godog.ScenarioContext) {
	sc.Given(`^carrier "([^"]+)" is a trunk of the PBX registered as "([^"]+)" with contact "([^"]+)"(?:, granting (\d+) s registrations)?$`, addTrunk)
	sc.Given(`^the PBX's password for carrier "([^"]+)" is wrong$`, step1(func(_ context.Context, w *world, name string) error {
		return w.configurePeer(name, func(p *config.Peer) { p.Password = "not-" + p.Password })
	}))
	sc.Given(`^DID (\d+) of carrier "([^"]+)" is for (\d+)$`, step3(didFor))
	sc.Given(`^carrier "([^"]+)" is trusted with the caller's identity and shows the trunk number (\d+)$`, step2(func(_ context.Context, w *world, name, number string) error {
		return w.configurePeer(name, func(p *config.Peer) { p.CallerID = config.CallerID{PAI: true, FromUser: number} })
	}))
	sc.Given(`^numbers starting with (\d+) go out through carrier "([^"]+)"(?:, then carrier "([^"]+)",)? with that prefix removed$`, trunkRoute)
	sc.Given(`^carrier "([^"]+)" answers every call busy$`, step1(func(_ context.Context, w *world, name string) error {
		t, err := w.trunkNamed(name)
		if err != nil {
			return err
		}
		return t.c.SetBehaviour("", simcarrier.Behaviour{Action: simcarrier.Busy})
	}))
	sc.Given(`^carrier "([^"]+)" is qualified every second$`, step1(func(_ context.Context, w *world, name string) error {
		return w.configurePeer(name, func(p *config.Peer) { p.Qualify, p.Unreachable = time.Second, 2 })
	}))
	sc.When(`^the PBX starts$`, step0(func(ctx context.Context, w *world) error {
		_, err := w.endpoint(ctx)
		return err
	}))
	sc.When(`^carrier "([^"]+)" calls DID (\d+) from (\d+)( withholding the number)?$`, trunkCalls)
	sc.When(`^(\d+) dials the outside number (\d+) withholding its number$`, step2(dialWithheld))
	sc.When(`^carrier "([^"]+)" stops answering$`, step1(func(_ context.Context, w *world, name string) error {
		t, err := w.trunkNamed(name)
		if err != nil {
			return err
		}
		t.c.GoSilent()
		return nil
	}))
	sc.When(`^carrier "([^"]+)" answers again$`, step1(func(_ context.Context, w *world, name string) error {
		t, err := w.trunkNamed(name)
		if err != nil {
			return err
		}
		t.c.Recover()
		return nil
	}))
	sc.Then(`^the PBX registers with carrier "([^"]+)" after a digest challenge$`, step1(registersWith))
	sc.Then(`^the PBX renews its registration with carrier "([^"]+)" before it expires$`, step1(renewsWith))
	sc.Then(`^carrier "([^"]+)" does not register the PBX$`, step1(notRegistered))
	sc.Then(`^the call goes out through carrier "([^"]+)" for (\d+)$`, step2(func(ctx context.Context, w *world, name, number string) error {
		_, err := trunkInvite(ctx, w, name, number)
		return err
	}))
	sc.Then(`^carrier "([^"]+)" receives the call for (\d+) from "([^"]+)" asserting "([^"]*)"( with Privacy: id)?$`, trunkReceivesFrom)
	sc.Then(`^carrier "([^"]+)" receives no call back$`, step1(noCallBack))
	sc.Then(`^(\d+) sees the call from "([^"]+)"$`, step2(shownAs))
	sc.Then(`^trunk "([^"]+)" is (down|up)$`, step2(trunkState))
}

// addTrunk starts the carrier (account user, a password of its own) on
// trunkIP and makes it a peer the PBX registers with as user, contact
// user contact, its calls analysed in context from-<name>. grant, when
// given, caps the registrations the carrier grants (seconds).
func addTrunk(ctx context.Context, name, user, contact, grant string) error {
	w, err := stepWorld(ctx)
	if err != nil {
		return err
	}
	cfg := simcarrier.Config{LocalIP: trunkIP, Domain: name + ".carrier.test", MinExpires: time.Second,
		Accounts: []simcarrier.Account{{Username: user, Password: "secret-" + name}}}
	if grant != "" {
		n, err := strconv.Atoi(grant)
		if err != nil || n < 1 {
			return fmt.Errorf("%w: grant %q", ErrUsage, grant)
		}
		cfg.MaxExpires = time.Duration(n) * time.Second
	}
	var opts []simcarrier.Option
	if w.log != nil {
		opts = append(opts, simcarrier.WithLogger(w.log.With("carrier", name)))
	}
	if w.cap != nil {
		opts = append(opts, simcarrier.WithAgentOptions(phone.WithCapture(w.cap.w)))
	}
	c, err := simcarrier.New(cfg, opts...)
	if err != nil {
		return fmt.Errorf("carrier %s: %w", name, err)
	}
	t := &trunk{name: name, account: cfg.Accounts[0], contact: contact, c: c}
	w.mu.Lock()
	if w.trunks == nil {
		w.trunks = &trunkScenario{trunks: map[string]*trunk{}, dids: map[string]string{}}
	}
	if w.trunks.trunks[name] != nil {
		w.mu.Unlock()
		_ = c.Close()
		return fmt.Errorf("%w: carrier %s declared twice", ErrUsage, name)
	}
	w.trunks.trunks[name] = t
	w.mu.Unlock()
	addr := c.Addr()
	return w.configure(func(pc *config.Config) error {
		pc.Peers = append(pc.Peers, config.Peer{Name: name, Host: addr.Addr().String(), Port: int(addr.Port()), Transport: config.TransportUDP,
			Username: user, Password: t.account.Password, Register: &config.TrunkRegister{ContactUser: contact}, Context: "from-" + name})
		return nil
	})
}

// trunkNamed returns the scenario's trunk.
func (w *world) trunkNamed(name string) (*trunk, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.trunks == nil || w.trunks.trunks[name] == nil {
		return nil, fmt.Errorf("%w: no carrier %q (declare it: carrier %q is a trunk of the PBX …)", ErrUsage, name, name)
	}
	return w.trunks.trunks[name], nil
}

// configurePeer edits the peer of the PBX configuration named name.
func (w *world) configurePeer(name string, edit func(*config.Peer)) error {
	return w.configure(func(c *config.Config) error {
		for i := range c.Peers {
			if c.Peers[i].Name == name {
				edit(&c.Peers[i])
				return nil
			}
		}
		return fmt.Errorf("%w: no peer %q", ErrUsage, name)
	})
}

// didFor makes the DID a number analysis entry of the trunk's context for
// the subscriber.
func didFor(_ context.Context, w *world, did, name, callee string) error {
	if _, err := w.trunkNamed(name); err != nil {
		return err
	}
	sub, err := w.subscriber(callee)
	if err != nil {
		return err
	}
	w.mu.Lock()
	w.trunks.dids[did] = callee
	w.mu.Unlock()
	return w.configure(func(c *config.Config) error {
		c.Numbering.Entries = append(c.Numbering.Entries, config.NumberingEntry{Context: "from-" + name, Prefix: did, Min: len(did), Max: len(did),
			Kind: "subscriber", Target: sub.Number})
		return nil
	})
}

// trunkRoute sends numbers starting with prefix out through the carriers
// (a route of its own), the prefix stripped.
func trunkRoute(ctx context.Context, prefix, first, second string) error {
	w, err := stepWorld(ctx)
	if err != nil {
		return err
	}
	peers := []string{first}
	if second != "" {
		peers = append(peers, second)
	}
	for _, p := range peers {
		if _, err := w.trunkNamed(p); err != nil {
			return err
		}
	}
	route := "trunk-" + first
	if err := w.configure(func(c *config.Config) error {
		c.Routes = append(c.Routes, config.Route{Name: route, Peers: peers})
		return nil
	}); err != nil {
		return err
	}
	return routePrefix(ctx, w, prefix, route)
}

// trunkCalls places an inbound call from the carrier to the DID, as a
// carrier does to a registered trunk: to the PBX's registered contact,
// the DID in To. Withheld: From anonymous, Privacy: id and the number in
// P-Asserted-Identity (RFC 3323, RFC 3325).
func trunkCalls(ctx context.Context, name, did, from, withheld string) error {
	w, err := stepWorld(ctx)
	if err != nil {
		return err
	}
	t, err := w.trunkNamed(name)
	if err != nil {
		return err
	}
	if _, err := w.endpoint(ctx); err != nil {
		return err
	}
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	if _, err := t.c.WaitRegistered(wctx, t.account.Username, 1); err != nil {
		return fmt.Errorf("%w: the PBX never registered with carrier %s: %w", ErrExpectation, name, err)
	}
	in := simcarrier.Inbound{DID: did, From: from, Account: t.account.Username}
	if withheld != "" {
		in.From = "anonymous"
		in.Headers = []sip.Header{sip.NewHeader("Privacy", "id"),
			sip.NewHeader("P-Asserted-Identity", "<sip:"+from+"@"+t.c.Domain()+">")}
	}
	callee := did
	w.mu.Lock()
	if n, ok := w.trunks.dids[did]; ok {
		callee = n
	}
	w.mu.Unlock()
	rec := &callRec{caller: "carrier " + name, callee: callee, base: map[phoneKey]int{}}
	for _, d := range w.devicesOf(callee) {
		rec.base[d.key] = d.incomingCount()
	}
	c, err := t.c.CallWith(wctx, in)
	if err != nil {
		return fmt.Errorf("%w: carrier %s calls %s: %w", ErrExpectation, name, did, err)
	}
	rec.out = c
	w.addCall(rec)
	return nil
}

// dialWithheld places a call like "dials the outside number" with
// Privacy: id (RFC 3323): the caller withholds its number for this call.
func dialWithheld(ctx context.Context, w *world, caller, number string) error {
	sp, err := w.simPhoneOf(caller, "")
	if err != nil {
		return err
	}
	ep, err := w.endpoint(ctx)
	if err != nil {
		return err
	}
	rec := &callRec{caller: caller, callee: number, base: map[phoneKey]int{}}
	dctx, cancel := w.waitCtx(ctx)
	defer cancel()
	uri := "sip:" + number + "@" + ep.Domain
	if ep.Transport == "tcp" {
		uri += ";transport=tcp"
	}
	c, err := sp.p.DialWith(dctx, phone.DialSpec{URI: uri, Dest: ep.Addr.String(), Headers: []sip.Header{sip.NewHeader("Privacy", "id")}})
	if err != nil {
		return fmt.Errorf("%w: %s calls %s: %w", ErrExpectation, caller, number, err)
	}
	rec.out = c
	w.addCall(rec)
	return nil
}

// registersWith waits for the PBX's registration at the carrier: live,
// with the configured contact user, after at least one challenge.
func registersWith(ctx context.Context, w *world, name string) error {
	t, err := w.trunkNamed(name)
	if err != nil {
		return err
	}
	if _, err := w.endpoint(ctx); err != nil {
		return err
	}
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	b, err := t.c.WaitRegistered(wctx, t.account.Username, 1)
	if err != nil {
		return fmt.Errorf("%w: the PBX did not register with carrier %s: %w", ErrExpectation, name, err)
	}
	var u sip.Uri
	if err := sip.ParseUri(b.Contact, &u); err != nil || u.User != t.contact {
		return fmt.Errorf("%w: carrier %s has contact %q, want the user %q", ErrExpectation, name, b.Contact, t.contact)
	}
	if st := t.c.RegisterStats(); st.Challenges < 1 {
		return fmt.Errorf("%w: carrier %s registered the PBX without a challenge (%+v)", ErrExpectation, name, st)
	}
	return nil
}

// renewsWith waits for the next registration and wants it before the
// last one ran out, in the same Call-ID (RFC 3261 §10.2.4).
func renewsWith(ctx context.Context, w *world, name string) error {
	t, err := w.trunkNamed(name)
	if err != nil {
		return err
	}
	first, live := t.c.Binding(t.account.Username)
	if !live {
		return fmt.Errorf("%w: the PBX is not registered with carrier %s", ErrUsage, name)
	}
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	next, err := t.c.WaitRegistered(wctx, t.account.Username, first.Registrations+1)
	if err != nil {
		return fmt.Errorf("%w: the PBX did not renew its registration with carrier %s: %w", ErrExpectation, name, err)
	}
	if !next.At.Before(first.At.Add(first.Expires)) {
		return fmt.Errorf("%w: renewed at %s, after the registration of %s granted at %s ran out", ErrExpectation,
			next.At.Format(time.RFC3339Nano), first.Expires, first.At.Format(time.RFC3339Nano))
	}
	if next.CallID != first.CallID {
		return fmt.Errorf("%w: the renewal has Call-ID %s, the registration %s", ErrExpectation, next.CallID, first.CallID)
	}
	return nil
}

// notRegistered waits until the carrier has seen the PBX's REGISTER
// answered with credentials at least once (two REGISTERs), and wants no
// live binding.
func notRegistered(ctx context.Context, w *world, name string) error {
	t, err := w.trunkNamed(name)
	if err != nil {
		return err
	}
	if _, err := w.endpoint(ctx); err != nil {
		return err
	}
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond) // the carrier has no wait for a refusal
	defer tick.Stop()
	for t.c.RegisterStats().Registers < 2 {
		select {
		case <-wctx.Done():
			return fmt.Errorf("%w: carrier %s got %d REGISTERs, want the challenged one and the one with credentials", ErrExpectation, name, t.c.RegisterStats().Registers)
		case <-tick.C:
		}
	}
	if b, live := t.c.Binding(t.account.Username); live {
		return fmt.Errorf("%w: carrier %s registered the PBX at %s with wrong credentials", ErrExpectation, name, b.Contact)
	}
	return nil
}

// trunkInvite waits for the carrier's next INVITE and checks the number.
func trunkInvite(ctx context.Context, w *world, name, number string) (simcarrier.Invite, error) {
	t, err := w.trunkNamed(name)
	if err != nil {
		return simcarrier.Invite{}, err
	}
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	invs, err := t.c.WaitInvites(wctx, t.seen+1)
	if err != nil {
		return simcarrier.Invite{}, fmt.Errorf("%w: carrier %s received no call: %w", ErrExpectation, name, err)
	}
	inv := invs[t.seen]
	t.seen++
	if inv.User != number {
		return inv, fmt.Errorf("%w: carrier %s received a call for %q, want %q", ErrExpectation, name, inv.User, number)
	}
	return inv, nil
}

// trunkReceivesFrom checks the caller ID of the carrier's next INVITE:
// the From user, the P-Asserted-Identity's user ("" none) and Privacy.
func trunkReceivesFrom(ctx context.Context, name, number, from, asserted, privacy string) error {
	w, err := stepWorld(ctx)
	if err != nil {
		return err
	}
	inv, err := trunkInvite(ctx, w, name, number)
	if err != nil {
		return err
	}
	if inv.FromUser != from {
		return fmt.Errorf("%w: carrier %s sees From %s, want the user %q", ErrExpectation, name, inv.From, from)
	}
	var pai []string
	for _, v := range inv.PAssertedIdentity {
		var u sip.Uri
		if _, err := sip.ParseAddressValue(v, &u, nil); err == nil {
			pai = append(pai, u.User)
		} else {
			pai = append(pai, v)
		}
	}
	switch {
	case asserted == "" && len(pai) > 0:
		return fmt.Errorf("%w: carrier %s got P-Asserted-Identity %v, want none", ErrExpectation, name, inv.PAssertedIdentity)
	case asserted != "" && (len(pai) != 1 || pai[0] != asserted):
		return fmt.Errorf("%w: carrier %s got P-Asserted-Identity %v, want %s", ErrExpectation, name, inv.PAssertedIdentity, asserted)
	}
	if got := slices.Contains(inv.Privacy, "id"); got != (privacy != "") {
		return fmt.Errorf("%w: carrier %s got Privacy %v, want id: %v", ErrExpectation, name, inv.Privacy, privacy != "")
	}
	return nil
}

// noCallBack listens for the quiet window: no INVITE may reach the
// carrier beyond those the steps took.
func noCallBack(ctx context.Context, w *world, name string) error {
	t, err := w.trunkNamed(name)
	if err != nil {
		return err
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-w.suite.cfg.Clock.After(quietWindow):
	}
	if invs := t.c.Invites(); len(invs) > t.seen {
		return fmt.Errorf("%w: carrier %s received a call for %s", ErrExpectation, name, invs[t.seen].User)
	}
	return nil
}

// shownAs checks the calling number name's phone shows for the
// current call (its From user).
func shownAs(ctx context.Context, w *world, name, from string) error {
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	_, leg, err := waitLeg(wctx, w, name, "")
	if err != nil {
		return err
	}
	if got := leg.Remote(); got != from {
		return fmt.Errorf("%w: %s sees the call from %q, want %q", ErrExpectation, name, got, from)
	}
	return nil
}

// trunkState waits until the in-process PBX's qualify says the trunk is
// down or up (there is no event to await: its state is read every 50 ms).
func trunkState(ctx context.Context, w *world, name, want string) error {
	s, ok := w.sess.(*inProcessSession)
	if !ok {
		return fmt.Errorf("%w: trunk state needs the in-process PBX", ErrUsage)
	}
	if _, err := w.endpoint(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	inst := s.inst
	s.mu.Unlock()
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		up, known := inst.PeerReachable(name)
		if !known {
			return fmt.Errorf("%w: the PBX has no peer %q", ErrUsage, name)
		}
		if up == (want == "up") {
			return nil
		}
		select {
		case <-wctx.Done():
			return fmt.Errorf("%w: trunk %s is not %s: %w", ErrExpectation, name, want, wctx.Err())
		case <-tick.C:
		}
	}
}

// closeTrunks closes the scenario's carriers.
func (w *world) closeTrunks() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.trunks == nil {
		return nil
	}
	var errs []error
	for _, t := range w.trunks.trunks {
		if err := t.c.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
