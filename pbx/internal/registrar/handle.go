package registrar

import (
	"context"
	"errors"
	"net/netip"
	"strconv"
	"strings"

	"github.com/emiago/sipgo/sip"

	"pbxlab/pbx/internal/digestauth"
)

// dateLayout is the SIP-date of RFC 3261 §20.17 (RFC 1123, always GMT).
const dateLayout = "Mon, 02 Jan 2006 15:04:05 GMT"

// Handle processes a REGISTER (RFC 3261 §10.3) and returns the response to
// send; it never returns nil. In order:
//
//   - exactly one To, From, Call-ID and CSeq, CSeq method REGISTER (else 400);
//   - step 3: To must be a SIP or SIPS URI with a user part (else 400,
//     RFC 4475 §3.3.4);
//   - step 4 (with an Auth): digest credentials (RFC 3261 §22), else a 401
//     challenge (stale=true for a stale nonce); unknown schemes count as no
//     credentials (RFC 4475 §3.3.7);
//   - step 5: the authenticated user must be the To user (else 403);
//   - the AOR must exist when WithAORExists is set (else 404);
//   - steps 6-7: Contact "*" only alone with Expires: 0 (else 400); each
//     contact's expiry is its expires parameter, else the Expires header,
//     else the default; 0 removes, under the minimum is 423 with
//     Min-Expires, over the maximum is capped; q must be 0..1 (else 400);
//     a known binding refreshed with the same Call-ID needs a higher CSeq,
//     else the whole request fails with 400 (RFC 3261 leaves the code open);
//   - step 8: 200 with every current registered binding (expires= the
//     seconds left, q= when not 1) and a Date header. No Contact at all is
//     a query answered the same way.
//
// The bindings' source address and transport come from req.Source() and
// req.Transport(). The response is committed by the Store before it is
// returned; a Store error gives 500.
func (r *Registrar) Handle(ctx context.Context, req *sip.Request) *sip.Response {
	st, res := r.handle(ctx, req)
	if st == nil {
		return res
	}
	res = sip.NewResponseFromRequest(req, st.code, st.reason, nil)
	for _, h := range st.headers {
		res.AppendHeader(h)
	}
	return res
}

func (r *Registrar) handle(ctx context.Context, req *sip.Request) (*status, *sip.Response) {
	if req.Method != sip.REGISTER {
		return fail(405, "Method Not Allowed", sip.NewHeader("Allow", "REGISTER")), nil
	}
	if st := wellFormed(req); st != nil {
		return st, nil
	}
	to := req.To()
	if to.Address.Scheme != "sip" && to.Address.Scheme != "sips" {
		return fail(400, "To Must Be A SIP URI"), nil
	}
	aor := CanonicalUser(to.Address.User)
	if aor == "" {
		return fail(400, "To Has No User"), nil
	}
	if r.auth != nil {
		want := r.realmOf(aor)
		user, realm, err := r.auth.Verify(req, false)
		if err == nil && realm != want {
			err = digestauth.ErrUnknownRealm
		}
		if errors.Is(err, digestauth.ErrURIMismatch) {
			// RFC 2617 §3.2.2.5: a new challenge would not help
			r.log.Debug("register refused", "aor", aor, "error", err)
			return fail(400, "Bad Request (digest uri is not the Request-URI)"), nil
		}
		if err != nil {
			r.log.Debug("register challenged", "aor", aor, "error", err)
			return nil, r.auth.Challenge(req, want, false, errors.Is(err, digestauth.ErrStaleNonce))
		}
		if CanonicalUser(user) != aor {
			r.log.Debug("register forbidden", "aor", aor, "user", user)
			return fail(403, "Forbidden"), nil
		}
	}
	contacts, wildcard, st := r.parseContacts(req)
	if st != nil && (r.aorExists == nil || r.aorExists(aor)) {
		return st, nil
	}
	defer r.lockAOR(aor)()
	// checked under the AOR's lock, so a binding never outlives Remove
	if r.aorExists != nil && !r.aorExists(aor) {
		return fail(404, "Not Found"), nil
	}
	if st := r.apply(ctx, req, aor, contacts, wildcard); st != nil {
		return st, nil
	}
	return r.ok(ctx, req, aor)
}

// wellFormed checks the headers a registrar relies on (RFC 4475 §3.3.1,
// §3.3.8: missing or repeated ones are a 400).
func wellFormed(req *sip.Request) *status {
	for _, name := range [...]string{"To", "From", "Call-ID", "CSeq"} {
		if n := headerCount(req, name); n != 1 {
			return fail(400, "Need Exactly One "+name)
		}
	}
	if req.To() == nil || req.From() == nil || req.CallID() == nil || req.CSeq() == nil {
		return fail(400, "Malformed Header")
	}
	if req.CSeq().MethodName != sip.REGISTER {
		return fail(400, "CSeq Method Mismatch")
	}
	return nil
}

// headerCount counts req's headers called name (any case), without the
// slice GetHeaders allocates.
func headerCount(req *sip.Request, name string) int {
	n := 0
	for _, h := range req.Headers() {
		if strings.EqualFold(h.Name(), name) {
			n++
		}
	}
	return n
}

// apply performs RFC 3261 §10.3 step 7 for aor under its lock.
func (r *Registrar) apply(ctx context.Context, req *sip.Request, aor string, cs []contact, wildcard bool) *status {
	now := r.clock.Now()
	stored, err := r.store.Lookup(ctx, aor)
	if err != nil {
		r.log.Warn("register lookup", "aor", aor, "error", err)
		return fail(500, "Server Internal Error")
	}
	current := map[string]Binding{}
	for _, b := range stored {
		if b.live(now) {
			current[b.Contact] = b
		}
	}
	callID, cseq := req.CallID().Value(), req.CSeq().SeqNo
	outOfOrder := func(b Binding) bool { return b.CallID == callID && cseq <= b.CSeq }

	var del []string
	var put []Binding
	if wildcard {
		for _, b := range current {
			if outOfOrder(b) {
				return fail(400, "Invalid CSeq")
			}
		}
		if err := r.store.DeleteAOR(ctx, aor); err != nil {
			r.log.Warn("register remove all", "aor", aor, "error", err)
			return fail(500, "Server Internal Error")
		}
		r.log.Debug("unregistered all", "aor", aor)
		return nil
	}
	received, _ := netip.ParseAddrPort(req.Source()) // zero if not an IP (e.g. built locally)
	transport := strings.ToLower(req.Transport())
	for _, c := range cs {
		if b, ok := current[c.uri]; ok && outOfOrder(b) {
			return fail(400, "Invalid CSeq")
		}
		if c.expires == 0 {
			if _, ok := current[c.uri]; ok {
				del = append(del, c.uri)
			}
			continue
		}
		put = append(put, Binding{
			AOR: aor, Contact: c.uri, Received: received, Transport: transport,
			Expires: now.Add(c.expires), Q: c.q, CallID: callID, CSeq: cseq, UpdatedAt: now,
		})
	}
	if len(del) > 0 {
		if err := r.store.Delete(ctx, aor, del...); err != nil {
			r.log.Warn("register remove", "aor", aor, "error", err)
			return fail(500, "Server Internal Error")
		}
	}
	if len(put) > 0 {
		if err := r.store.Put(ctx, put...); err != nil {
			r.log.Warn("register store", "aor", aor, "error", err)
			return fail(500, "Server Internal Error")
		}
	}
	r.log.Debug("registered", "aor", aor, "put", len(put), "removed", len(del), "source", received)
	return nil
}

// ok builds the 200 of RFC 3261 §10.3 step 8.
func (r *Registrar) ok(ctx context.Context, req *sip.Request, aor string) (*status, *sip.Response) {
	now := r.clock.Now()
	stored, err := r.store.Lookup(ctx, aor)
	if err != nil {
		r.log.Warn("register list", "aor", aor, "error", err)
		return fail(500, "Server Internal Error"), nil
	}
	res := sip.NewResponseFromRequest(req, 200, "OK", nil)
	for _, b := range stored {
		if b.Static || !b.live(now) {
			continue
		}
		var u sip.Uri
		if err := sip.ParseUri(b.Contact, &u); err != nil {
			continue // stored by us from a parsed URI; cannot happen
		}
		params := sip.NewParams()
		params.Add("expires", strconv.FormatInt(b.remaining(now), 10))
		if b.Q != 1 {
			params.Add("q", strconv.FormatFloat(b.Q, 'f', -1, 64))
		}
		res.AppendHeader(&sip.ContactHeader{Address: u, Params: params})
	}
	res.AppendHeader(sip.NewHeader("Date", now.UTC().Format(dateLayout)))
	return nil, res
}
