// Package sipreg reads what a registrar's 2xx to REGISTER grants (RFC 3261
// §10.2.4): the lifetime of a binding, and delta-seconds header values. The
// PBX's trunk registrations and the simulated phones read them alike.
package sipreg

import (
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
)

// GrantedExpires is the lifetime of the binding of ours that a 2xx to
// REGISTER grants: the expires parameter of the Contact that is ours (user,
// host without brackets and case, port), else the Expires header, else
// asked (RFC 3261 §10.2.4).
func GrantedExpires(res *sip.Response, ours sip.Uri, asked time.Duration) time.Duration {
	for _, h := range res.GetHeaders("Contact") {
		c, ok := h.(*sip.ContactHeader)
		if !ok || c.Address.User != ours.User || c.Address.Port != ours.Port ||
			!strings.EqualFold(strings.Trim(c.Address.Host, "[]"), strings.Trim(ours.Host, "[]")) {
			continue
		}
		if v, ok := c.Params.Get("expires"); ok {
			if d, ok := DeltaSeconds(v); ok {
				return d
			}
		}
	}
	if d := HeaderSeconds(res, "Expires"); d > 0 {
		return d
	}
	return asked
}

// HeaderSeconds is the delta-seconds value of res's header name (0: none
// or not a number), e.g. Min-Expires.
func HeaderSeconds(res *sip.Response, name string) time.Duration {
	h := res.GetHeader(name)
	if h == nil {
		return 0
	}
	d, _ := DeltaSeconds(h.Value())
	return d
}

// DeltaSeconds parses delta-seconds (RFC 3261 §25.1), capped at 2^32-1 as
// §20.19 allows.
func DeltaSeconds(v string) (time.Duration, bool) {
	n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
	if err != nil {
		return 0, false
	}
	return time.Duration(min(n, 1<<32-1)) * time.Second, true
}
