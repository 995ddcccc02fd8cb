package registrar

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
)

// contact is one Contact value of a REGISTER, validated.
type contact struct {
	uri     string
	expires time.Duration // after min/max/default rules; 0 = remove
	q       float64
}

// status is a non-200 outcome of REGISTER processing.
type status struct {
	code    int
	reason  string
	headers []sip.Header
}

func fail(code int, reason string, hdrs ...sip.Header) *status {
	return &status{code: code, reason: reason, headers: hdrs}
}

// parseContacts applies RFC 3261 §10.3 steps 6 and 7 to the Contact header
// values: it returns the contacts, or wildcard for "Contact: *", or a
// failure (400 for a malformed request, 423 for too brief an interval).
// Nothing is changed before every contact passed, so a 423 for one contact
// leaves all bindings as they were.
func (r *Registrar) parseContacts(req *sip.Request) (cs []contact, wildcard bool, st *status) {
	hdrExpires, hdrOK := headerExpires(req)
	hs, ok := contactHeaders(req)
	if !ok {
		return nil, false, fail(400, "Malformed Contact")
	}
	for _, ch := range hs {
		if !ch.Address.Wildcard {
			continue
		}
		// Step 6: "*" only alone and only with Expires: 0.
		if len(hs) != 1 || !hdrOK || hdrExpires != 0 {
			return nil, false, fail(400, "Wildcard Contact Needs Expires 0 Alone")
		}
		return nil, true, nil
	}
	seen := map[string]int{}
	for _, ch := range hs {
		if ch.Address.Scheme != "sip" && ch.Address.Scheme != "sips" {
			return nil, false, fail(400, "Contact Must Be A SIP URI")
		}
		c := contact{uri: ch.Address.String(), q: 1}
		if v, ok := ch.Params.Get("q"); ok {
			q, err := strconv.ParseFloat(v, 64)
			if err != nil || math.IsNaN(q) || q < 0 || q > 1 {
				return nil, false, fail(400, "Bad Contact q-value")
			}
			c.q = q
		}
		secs, ok := hdrExpires, hdrOK
		if v, has := ch.Params.Get("expires"); has {
			if n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 32); err == nil {
				secs, ok = n, true
			}
		}
		switch exp := time.Duration(secs) * time.Second; {
		case !ok:
			c.expires = r.defExpires
		case secs == 0:
			c.expires = 0
		case exp < r.minExpires:
			return nil, false, fail(423, "Interval Too Brief",
				sip.NewHeader("Min-Expires", strconv.FormatInt(int64(r.minExpires/time.Second), 10)))
		case exp > r.maxExpires:
			c.expires = r.maxExpires
		default:
			c.expires = exp
		}
		// The same contact twice in one request: the last value wins.
		if i, dup := seen[c.uri]; dup {
			cs[i] = c
			continue
		}
		seen[c.uri] = len(cs)
		cs = append(cs, c)
	}
	return cs, false, nil
}

// contactHeaders returns the parsed Contact values of req. Headers added
// as generic text (sip.NewHeader) are parsed here with sipgo's parser.
func contactHeaders(req *sip.Request) ([]*sip.ContactHeader, bool) {
	var out []*sip.ContactHeader
	for _, h := range req.GetHeaders("Contact") {
		if ch, ok := h.(*sip.ContactHeader); ok {
			out = append(out, ch)
			continue
		}
		parsed, err := sip.HeadersParser(sip.DefaultHeadersParser()).ParseHeader(nil, []byte("Contact: "+h.Value()))
		if err != nil {
			return nil, false
		}
		for _, p := range parsed {
			ch, ok := p.(*sip.ContactHeader)
			if !ok {
				return nil, false
			}
			out = append(out, ch)
		}
	}
	return out, true
}

// headerExpires returns the Expires header's delta-seconds, if valid.
func headerExpires(req *sip.Request) (uint64, bool) {
	h := req.GetHeader("Expires")
	if h == nil {
		return 0, false
	}
	n, err := strconv.ParseUint(strings.TrimSpace(h.Value()), 10, 32)
	return n, err == nil
}

// transportOf returns the lower-case transport parameter of u, or "udp"
// ("tls" for sips without one).
func transportOf(u *sip.Uri) string {
	if t, ok := u.UriParams.Get("transport"); ok && t != "" {
		return strings.ToLower(t)
	}
	if u.IsEncrypted() {
		return "tls"
	}
	return "udp"
}
