package carrier

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
)

// Binding is the registration of one account (RFC 3261 §10.3).
type Binding struct {
	// User is the authenticated digest username.
	User string
	// Contact is the registered contact URI (where inbound calls go).
	Contact string
	// Source is where the last REGISTER came from (host:port);
	// Transport what it came over ("udp", "tcp").
	Source    string
	Transport string
	// Expires is the lifetime granted by the last REGISTER.
	Expires time.Duration
	// At is when it was granted (carrier clock).
	At time.Time
	// Registrations counts the successful REGISTERs of this account with a
	// lifetime: more than one means the PBX re-registered.
	Registrations int
	// CallID is the Call-ID of the last REGISTER; re-registrations of one
	// client keep it (RFC 3261 §10.2.4).
	CallID string
}

type binding struct {
	Binding
	removed bool // unregistered (Expires: 0)
}

// registrar is the carrier's registration state (Carrier.mu).
type registrar struct {
	bindings  map[string]*binding
	registers int // REGISTERs received
	rejected  int // 403 and 423 sent
}

// onRegister authenticates a REGISTER and binds, refreshes or removes the
// account's contact.
func (c *Carrier) onRegister(req *sip.Request, tx sip.ServerTransaction) {
	c.mu.Lock()
	c.regs.registers++
	c.notify()
	c.mu.Unlock()
	user, v := c.auth.verify(req, false)
	switch v {
	case noCredentials, staleNonce:
		c.respond(tx, c.auth.challenge(req, false, v == staleNonce))
		return
	case denied:
		c.reject(tx, req, 403, "Forbidden")
		return
	}
	contact, star := registerContact(req)
	if contact == nil { // a query (RFC 3261 §10.2.3): the bindings, unchanged
		c.respond(tx, c.bindingsResponse(req, user))
		return
	}
	expires, asked := requestedExpires(req, c.cfg.DefaultExpires)
	if star && (expires != 0 || !asked) {
		c.reject(tx, req, 400, "Bad Request") // RFC 3261 §10.3 step 6
		return
	}
	if expires > 0 && expires < c.cfg.MinExpires {
		res := sip.NewResponseFromRequest(req, 423, "Interval Too Brief", nil)
		res.AppendHeader(sip.NewHeader("Min-Expires", strconv.Itoa(int(c.cfg.MinExpires/time.Second))))
		c.mu.Lock()
		c.regs.rejected++
		c.mu.Unlock()
		c.respond(tx, res)
		return
	}
	expires = min(expires, c.cfg.MaxExpires)
	res := sip.NewResponseFromRequest(req, 200, "OK", nil)
	c.mu.Lock()
	b := c.regs.bindings[user]
	if b == nil {
		b = &binding{Binding: Binding{User: user}}
		c.regs.bindings[user] = b
	}
	if expires == 0 {
		b.removed = true
		b.Expires = 0
	} else {
		b.removed = false
		b.Contact = contact.Address.String()
		b.Expires = expires
		b.Registrations++
		ch := contact.Clone()
		ch.Params = sip.NewParams()
		ch.Params.Add("expires", strconv.Itoa(int(expires/time.Second)))
		res.AppendHeader(ch)
	}
	b.Source = req.Source()
	b.Transport = strings.ToLower(req.Transport())
	b.At = c.clock.Now()
	b.CallID = req.CallID().Value()
	c.notify()
	c.mu.Unlock()
	exp := sip.ExpiresHeader(uint32(expires / time.Second))
	res.AppendHeader(&exp)
	c.respond(tx, res)
}

// registerContact is the REGISTER's first Contact (nil: none, a query);
// star reports "*".
func registerContact(req *sip.Request) (*sip.ContactHeader, bool) {
	h := req.Contact()
	if h == nil {
		return nil, false
	}
	return h, h.Address.Wildcard || h.Address.Host == "*" || strings.TrimSpace(h.Value()) == "*"
}

// bindingsResponse is the 200 to a query: the account's live binding.
func (c *Carrier) bindingsResponse(req *sip.Request, user string) *sip.Response {
	res := sip.NewResponseFromRequest(req, 200, "OK", nil)
	now := c.clock.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	b := c.regs.bindings[user]
	if !b.live(now) {
		return res
	}
	h := &sip.ContactHeader{Params: sip.NewParams()}
	if err := sip.ParseUri(b.Contact, &h.Address); err != nil {
		return res
	}
	left := b.At.Add(b.Expires).Sub(now)
	h.Params.Add("expires", strconv.Itoa(int(left/time.Second)))
	res.AppendHeader(h)
	return res
}

// requestedExpires is the lifetime a REGISTER asks for: the Contact's
// expires parameter, else the Expires header, else def (RFC 3261 §10.2.1.1);
// asked reports whether it named one.
func requestedExpires(req *sip.Request, def time.Duration) (time.Duration, bool) {
	if h := req.Contact(); h != nil {
		if v, ok := h.Params.Get("expires"); ok {
			if n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 32); err == nil {
				return time.Duration(n) * time.Second, true
			}
		}
	}
	if h := req.GetHeader("Expires"); h != nil {
		if n, err := strconv.ParseUint(strings.TrimSpace(h.Value()), 10, 32); err == nil {
			return time.Duration(n) * time.Second, true
		}
	}
	return def, false
}

func (c *Carrier) reject(tx sip.ServerTransaction, req *sip.Request, code int, reason string) {
	c.mu.Lock()
	c.regs.rejected++
	c.mu.Unlock()
	c.respond(tx, sip.NewResponseFromRequest(req, code, reason, nil))
}

func (c *Carrier) respond(tx sip.ServerTransaction, res *sip.Response) {
	if err := tx.Respond(res); err != nil {
		c.log.Debug("carrier respond failed", "status", res.StatusCode, "error", err)
	}
}

// live reports b as a live binding at now.
func (b *binding) live(now time.Time) bool {
	return b != nil && !b.removed && b.Expires > 0 && now.Before(b.At.Add(b.Expires))
}

// Registered returns the account's live binding: its contact and the
// lifetime granted; ok is false when the account never registered, was
// unregistered or let its binding expire.
func (c *Carrier) Registered(user string) (contact string, expires time.Duration, ok bool) {
	b, ok := c.Binding(user)
	return b.Contact, b.Expires, ok
}

// Binding returns the account's binding and whether it is live.
func (c *Carrier) Binding(user string) (Binding, bool) {
	now := c.clock.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	b := c.regs.bindings[user]
	if b == nil {
		return Binding{User: user}, false
	}
	return b.Binding, b.live(now)
}

// WaitRegistered waits until the account has a live binding with at least
// n successful registrations (1: registered at all; 2: re-registered
// once), or ctx ends.
func (c *Carrier) WaitRegistered(ctx context.Context, user string, n int) (Binding, error) {
	var out Binding
	err := c.wait(ctx, func() bool {
		b := c.regs.bindings[user]
		if b.live(c.clock.Now()) && b.Registrations >= n {
			out = b.Binding
			return true
		}
		return false
	})
	if err != nil {
		return out, fmt.Errorf("wait registration %s #%d: %w", user, n, err)
	}
	return out, nil
}

// WaitUnregistered waits until the account has no live binding, checked
// at every REGISTER or INVITE the carrier receives (an unregistration
// wakes it; a lifetime running out is seen at the next one).
func (c *Carrier) WaitUnregistered(ctx context.Context, user string) error {
	err := c.wait(ctx, func() bool { return !c.regs.bindings[user].live(c.clock.Now()) })
	if err != nil {
		return fmt.Errorf("wait unregistration %s: %w", user, err)
	}
	return nil
}

// RegisterStats counts the REGISTERs received, the digest challenges sent
// (REGISTER and INVITE) and the REGISTERs refused (403, 423, 400).
type RegisterStats struct {
	Registers  int
	Challenges int
	Rejected   int
}

// RegisterStats returns the registration counters.
func (c *Carrier) RegisterStats() RegisterStats {
	ch := c.auth.count()
	c.mu.Lock()
	defer c.mu.Unlock()
	return RegisterStats{Registers: c.regs.registers, Challenges: ch, Rejected: c.regs.rejected}
}
