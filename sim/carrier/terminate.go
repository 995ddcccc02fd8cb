package carrier

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/sim/phone"
)

// Invite records one INVITE the PBX sent the carrier (retransmissions and
// challenged attempts are not recorded again: one record per Call-ID).
type Invite struct {
	At     time.Time // carrier clock
	CallID string
	// RequestURI is the full Request-URI; User its user part (the called number).
	RequestURI string
	User       string
	// From and To are the header values; FromUser and ToUser their users.
	From, To         string
	FromUser, ToUser string
	// PAssertedIdentity and Privacy are the values of those headers, in order.
	PAssertedIdentity []string
	Privacy           []string
	// Source is where it came from (host:port); Transport what it came
	// over ("udp", "tcp").
	Source    string
	Transport string
	// Account is the authenticated username (ChallengeInvites), else "".
	Account string
	// Action is what the carrier did with it.
	Action Action
	// Attempts counts the INVITEs of this Call-ID (digest retries,
	// retransmissions of a silent call).
	Attempts int
	// Call is the carrier's leg once it rang (Answer, NoAnswer), else nil.
	Call *phone.Call
}

// invites is the INVITE log (Carrier.mu).
type invites struct {
	list    []Invite
	byKey   map[string]int // Call-ID -> index in list
	pending map[string]Behaviour
	silent  map[string]bool // Call-IDs kept silent
}

// onInvite records a new INVITE, authenticates it if asked, and carries
// out its behaviour: busy, reject, silent and garbage here, answer and no
// answer by the catch-all phone (false: the Agent goes on with it).
func (c *Carrier) onInvite(req *sip.Request, tx sip.ServerTransaction) bool {
	cid := req.CallID().Value()
	c.mu.Lock()
	i, seen := c.invites.byKey[cid]
	if !seen {
		i = len(c.invites.list)
		c.invites.byKey[cid] = i
		c.invites.list = append(c.invites.list, newInvite(req, c.clock.Now()))
	}
	inv := &c.invites.list[i]
	inv.Attempts++
	silent := c.invites.silent[cid]
	c.notify()
	c.mu.Unlock()
	if silent {
		return true
	}

	account := ""
	if c.cfg.ChallengeInvites {
		user, v := c.auth.verify(req, true)
		switch v {
		case noCredentials, staleNonce:
			c.respond(tx, c.auth.challenge(req, true, v == staleNonce))
			return true
		case denied:
			c.respond(tx, sip.NewResponseFromRequest(req, 403, "Forbidden", nil))
			return true
		}
		account = user
	}

	c.mu.Lock()
	b := c.behaviourFor(req.Recipient.User)
	inv = &c.invites.list[i]
	inv.Account, inv.Action = account, b.Action
	switch b.Action {
	case Silent:
		if c.invites.silent == nil {
			c.invites.silent = map[string]bool{}
		}
		c.invites.silent[cid] = true
	case Answer, NoAnswer:
		if c.invites.pending == nil {
			c.invites.pending = map[string]Behaviour{}
		}
		c.invites.pending[cid] = b
	}
	c.notify()
	c.mu.Unlock()

	switch b.Action {
	case Busy:
		c.respond(tx, sip.NewResponseFromRequest(req, 486, "Busy Here", nil))
	case Reject:
		res := sip.NewResponseFromRequest(req, b.code(), reasonPhrase(b.code()), nil)
		if b.RetryAfter > 0 {
			res.AppendHeader(sip.NewHeader("Retry-After", strconv.Itoa(int(b.RetryAfter/time.Second))))
		}
		c.respond(tx, res)
	case Garbage:
		c.garbage(req)
	case Answer, NoAnswer:
		// The called number's own phone takes it: its identity is the
		// number's, as a far-end phone's would be.
		if _, err := c.phone(req.Recipient.User); err != nil {
			c.respond(tx, sip.NewResponseFromRequest(req, 500, "Server Internal Error", nil))
			return true
		}
		return false
	}
	return true // Silent: the transaction ends unanswered, no 100 Trying
}

func newInvite(req *sip.Request, now time.Time) Invite {
	inv := Invite{At: now, CallID: req.CallID().Value(), RequestURI: req.Recipient.String(), User: req.Recipient.User,
		Source: req.Source(), Transport: strings.ToLower(req.Transport())}
	if f := req.From(); f != nil {
		inv.From, inv.FromUser = f.Value(), f.Address.User
	}
	if t := req.To(); t != nil {
		inv.To, inv.ToUser = t.Value(), t.Address.User
	}
	for _, h := range req.GetHeaders("P-Asserted-Identity") {
		inv.PAssertedIdentity = append(inv.PAssertedIdentity, h.Value())
	}
	for _, h := range req.GetHeaders("Privacy") {
		inv.Privacy = append(inv.Privacy, h.Value())
	}
	return inv
}

// silenced reports whether an ACK or CANCEL belongs to a call kept silent.
func (c *Carrier) silenced(req *sip.Request) bool {
	h := req.CallID()
	if h == nil {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.invites.silent[h.Value()]
}

// garbageBytes is what a Garbage carrier answers: no SIP parser accepts it.
const garbageBytes = "\x00\xffNOT SIP/9.9 ???\r\n\r\n\x01\x02"

// garbage sends bytes that are not SIP to where req came from (on TCP,
// on the connection it came on).
func (c *Carrier) garbage(req *sip.Request) {
	if c.cfg.Transport == phone.TCP {
		if err := c.agent.SendRaw(req.Source(), []byte(garbageBytes)); err != nil {
			c.log.Debug("carrier garbage not sent", "error", err)
		}
		return
	}
	addr, err := net.ResolveUDPAddr("udp", req.Source())
	if err != nil {
		return
	}
	if _, err := c.conn.WriteTo([]byte(garbageBytes), addr); err != nil {
		c.log.Debug("carrier garbage not sent", "error", err)
	}
}

// onIncoming is the catch-all phone's OnIncoming: it carries out the
// behaviour onInvite chose (answer after the delay, or ring on).
func (c *Carrier) onIncoming(call *phone.Call) {
	cid := call.CallID()
	c.mu.Lock()
	b, ok := c.invites.pending[cid]
	delete(c.invites.pending, cid)
	if i, seen := c.invites.byKey[cid]; seen {
		c.invites.list[i].Call = call
	}
	closed := c.closed
	if !closed {
		c.wg.Add(1)
	}
	c.notify()
	c.mu.Unlock()
	if closed {
		return
	}
	if !ok {
		b = Behaviour{Action: Answer}
	}
	go func() {
		defer c.wg.Done()
		c.carryOut(call, b)
	}()
}

// carryOut answers call after b.Delay and hangs up after b.HangupAfter.
func (c *Carrier) carryOut(call *phone.Call, b Behaviour) {
	if b.Action != Answer {
		return // NoAnswer: the phone rings until CANCEL
	}
	if !c.after(call, b.Delay) {
		return
	}
	ctx, cancel := context.WithTimeout(c.ctx, 32*time.Second)
	defer cancel()
	if err := call.Answer(ctx); err != nil {
		c.log.Debug("carrier answer failed", "call_id", call.CallID(), "error", err)
		return
	}
	if b.HangupAfter <= 0 || !c.after(call, b.HangupAfter) {
		return
	}
	if err := call.Hangup(ctx); err != nil {
		c.log.Debug("carrier hangup failed", "call_id", call.CallID(), "error", err)
	}
}

// after waits d on the carrier clock; false if the call or carrier ended first.
func (c *Carrier) after(call *phone.Call, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	select {
	case <-c.clock.After(d):
		return true
	case <-call.Done():
	case <-c.ctx.Done():
	}
	return false
}

// Invites returns the INVITEs received so far, in order.
func (c *Carrier) Invites() []Invite {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]Invite, len(c.invites.list))
	copy(out, c.invites.list)
	for i := range out {
		out[i].PAssertedIdentity = append([]string(nil), out[i].PAssertedIdentity...)
		out[i].Privacy = append([]string(nil), out[i].Privacy...)
	}
	return out
}

// WaitInvites waits until at least n INVITEs were received (and decided)
// and returns them all, or fails when ctx ends.
func (c *Carrier) WaitInvites(ctx context.Context, n int) ([]Invite, error) {
	err := c.wait(ctx, func() bool { return len(c.invites.list) >= n })
	if err != nil {
		return c.Invites(), fmt.Errorf("wait %d invites: %w", n, err)
	}
	return c.Invites(), nil
}

// WaitInvite waits for an INVITE record match accepts (e.g. one whose
// Call is set) and returns it, or fails when ctx ends.
func (c *Carrier) WaitInvite(ctx context.Context, match func(Invite) bool) (Invite, error) {
	var out Invite
	err := c.wait(ctx, func() bool {
		for _, inv := range c.invites.list {
			if match(inv) {
				out = inv
				return true
			}
		}
		return false
	})
	if err != nil {
		return out, fmt.Errorf("wait invite: %w", err)
	}
	return out, nil
}

func reasonPhrase(code int) string {
	switch code {
	case 403:
		return "Forbidden"
	case 404:
		return "Not Found"
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
	case 504:
		return "Server Time-out"
	case 603:
		return "Decline"
	}
	return "Rejected"
}

// Leg is one of the carrier's answered call legs (AnsweredLegs) with what
// the INVITE that opened it said.
type Leg struct {
	Call *phone.Call
	// User is the called number (Request-URI user), FromUser the caller's
	// (From user), PAssertedIdentity the INVITE's P-Asserted-Identity.
	User, FromUser    string
	PAssertedIdentity []string
}

// AnsweredLegs are the carrier's legs of the calls to number (Request-URI
// user) the PBX sent it that are answered and still up, for a check that
// the carrier hears the caller (the leg's TwoWayAudio, told the caller's
// identity with ExpectIdentity). Calls to the carrier's own phones (the
// callers of its inbound calls) included.
func (c *Carrier) AnsweredLegs(number string) []Leg {
	c.mu.Lock()
	phones := make([]*phone.Phone, 0, 1+len(c.phones))
	if c.term != nil {
		phones = append(phones, c.term)
	}
	for _, p := range c.phones {
		phones = append(phones, p)
	}
	c.mu.Unlock()
	var out []Leg
	for _, p := range phones {
		for _, call := range p.Calls() {
			if call.Direction() != phone.Incoming || call.State() != phone.Answered {
				continue
			}
			c.mu.Lock()
			i, ok := c.invites.byKey[call.CallID()]
			var inv Invite
			if ok {
				inv = c.invites.list[i]
			}
			c.mu.Unlock()
			if ok && inv.User == number {
				out = append(out, Leg{Call: call, User: inv.User, FromUser: inv.FromUser,
					PAssertedIdentity: append([]string(nil), inv.PAssertedIdentity...)})
			}
		}
	}
	return out
}
