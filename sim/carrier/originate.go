package carrier

import (
	"cmp"
	"context"
	"fmt"

	"github.com/emiago/sipgo/sip"

	"pbxlab/sim/phone"
)

// Inbound describes a call the carrier places to the PBX.
type Inbound struct {
	// DID is the called number (To user; Request-URI user with Config.PBX).
	DID string
	// From is the caller's number (From user); default "anonymous".
	From string
	// Account is whose registration the call follows when Config.PBX is
	// empty; default the first configured account.
	Account string
	// Target sends this call to a PBX by address (host:port, Request-URI
	// sip:DID@Target) instead of Config.PBX or the registration.
	Target string
	// Headers are added to the INVITE (P-Asserted-Identity, Privacy ...).
	Headers []sip.Header
}

// Call places an inbound call from the caller number from to the DID did:
// see CallWith.
func (c *Carrier) Call(ctx context.Context, did, from string) (*phone.Call, error) {
	return c.CallWith(ctx, Inbound{DID: did, From: from})
}

// CallWith places an inbound call to the PBX as a carrier does. With
// in.Target or Config.PBX (a trunk identified by source address) the
// INVITE goes there with Request-URI sip:DID@PBX. Otherwise it goes to the Contact the
// account registered, that Contact as Request-URI and the DID in To
// (sip:DID@Domain): ErrNotRegistered without a live binding. It returns
// the carrier's leg once the INVITE is sent, with sim/phone's call API
// (WaitAnswer, TwoWayAudio, Hangup ...).
func (c *Carrier) CallWith(ctx context.Context, in Inbound) (*phone.Call, error) {
	if in.DID == "" {
		return nil, fmt.Errorf("call did: empty: %w", ErrConfig)
	}
	if in.From == "" {
		in.From = "anonymous"
	}
	spec := phone.DialSpec{Headers: in.Headers}
	if target := cmp.Or(in.Target, c.cfg.PBX); target != "" {
		spec.URI = "sip:" + in.DID + "@" + target
	} else {
		account := in.Account
		if account == "" {
			if len(c.cfg.Accounts) == 0 {
				return nil, fmt.Errorf("call %s: no account: %w", in.DID, ErrNotRegistered)
			}
			account = c.cfg.Accounts[0].Username
		}
		contact, _, ok := c.Registered(account)
		if !ok {
			return nil, fmt.Errorf("call %s via %s: %w", in.DID, account, ErrNotRegistered)
		}
		spec.URI = contact
		spec.To = "sip:" + in.DID + "@" + c.cfg.Domain
	}
	p, err := c.phone(in.From)
	if err != nil {
		return nil, fmt.Errorf("call %s from %s: %w", in.DID, in.From, err)
	}
	call, err := p.DialWith(ctx, spec)
	if err != nil {
		return nil, fmt.Errorf("call %s from %s: %w", in.DID, in.From, err)
	}
	return call, nil
}

// phone returns the carrier's phone of number, made on first use: it
// places the inbound calls from that number and answers the calls to it,
// sending the number's audio identity (phone.IdentityFor), as the far
// end's phone would. "" is the catch-all's.
func (c *Carrier) phone(number string) (*phone.Phone, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || c.agent == nil {
		return nil, ErrClosed
	}
	if number == "" || number == terminator {
		return c.term, nil
	}
	if p := c.phones[number]; p != nil {
		return p, nil
	}
	p, err := c.agent.NewPhone(c.phoneConfig(number))
	if err != nil {
		return nil, err
	}
	c.phones[number] = p
	return p, nil
}
