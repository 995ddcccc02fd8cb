package phone

import (
	"context"
	"fmt"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/sipreg"
)

// Binding is one contact a registrar lists for an address of record
// (RFC 3261 §10.3 step 8).
type Binding struct {
	// Contact is the contact URI as the registrar lists it.
	Contact string
	// Expires is the lifetime the registrar says is left (the contact's
	// expires parameter; 0 when it gives none).
	Expires time.Duration
	// Mine reports whether Contact is this phone's own contact (same user,
	// host and port as Phone.Contact).
	Mine bool
}

// Bindings asks the registrar (the Agent's Target) which contacts are
// bound to the phone's address of record: a REGISTER without Contact
// (RFC 3261 §10.2.3), with digest authentication as Register does. It
// changes no binding. A non-2xx answer is a *StatusError.
func (p *Phone) Bindings(ctx context.Context) ([]Binding, error) {
	a := p.agent
	if a.cfg.Target == "" {
		return nil, fmt.Errorf("fetch bindings of %s: %w", p.cfg.Number, ErrNoTarget)
	}
	if err := p.lockReg(ctx); err != nil {
		return nil, fmt.Errorf("fetch bindings of %s: %w", p.cfg.Number, err)
	}
	defer p.unlockReg()
	req := p.newRegister(0)
	req.RemoveHeader("Contact")
	req.RemoveHeader("Expires")
	res, err := a.do(ctx, req)
	if err == nil && (res.StatusCode == sip.StatusUnauthorized || res.StatusCode == sip.StatusProxyAuthRequired) && p.cfg.Password != "" {
		res, err = a.doDigest(ctx, req, res, sipgo.DigestAuth{Username: p.cfg.Username, Password: p.cfg.Password})
	}
	p.setCSeq(req)
	if err != nil {
		return nil, fmt.Errorf("fetch bindings of %s: %w", p.cfg.Number, err)
	}
	if !res.IsSuccess() {
		return nil, fmt.Errorf("fetch bindings of %s: %w", p.cfg.Number, &StatusError{Method: "REGISTER", Code: res.StatusCode, Reason: res.Reason})
	}
	return bindingsOf(res, p.contactHeader().Address), nil
}

// bindingsOf reads the Contact values of a registrar's 200 (RFC 3261 §10.3
// step 8), marking those equal to ours.
func bindingsOf(res *sip.Response, ours sip.Uri) []Binding {
	var out []Binding
	for _, h := range res.GetHeaders("Contact") {
		c, ok := h.(*sip.ContactHeader)
		if !ok {
			continue
		}
		b := Binding{
			Contact: c.Address.String(),
			Mine:    c.Address.User == ours.User && c.Address.Host == ours.Host && c.Address.Port == ours.Port,
		}
		if v, ok := c.Params.Get("expires"); ok {
			b.Expires, _ = sipreg.DeltaSeconds(v)
		}
		out = append(out, b)
	}
	return out
}
