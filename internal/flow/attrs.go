package flow

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/sdpneg"
)

// header returns the first value of the named header, "" if absent.
func header(m sip.Message, name string) string {
	hs := m.GetHeaders(name)
	if len(hs) == 0 {
		return ""
	}
	return hs[0].Value()
}

// headerValues returns every value of the named header, comma-separated
// lists split.
func headerValues(m sip.Message, name string) []string {
	var out []string
	for _, h := range m.GetHeaders(name) {
		for _, v := range splitList(h.Value()) {
			if v = strings.TrimSpace(v); v != "" {
				out = append(out, v)
			}
		}
	}
	return out
}

// splitList splits a header value at the commas outside <> and quotes.
func splitList(v string) []string {
	var out []string
	depth, quoted, start := 0, false, 0
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == '"' && (i == 0 || v[i-1] != '\\'):
			quoted = !quoted
		case quoted:
		case c == '<':
			depth++
		case c == '>' && depth > 0:
			depth--
		case c == ',' && depth == 0:
			out = append(out, v[start:i])
			start = i + 1
		}
	}
	return append(out, v[start:])
}

// addrUser is the user of a name-addr header value ("" if it does not
// parse).
func addrUser(v string) string {
	var u sip.Uri
	var p sip.HeaderParams
	if _, err := sip.ParseAddressValue(v, &u, &p); err != nil {
		return ""
	}
	if u.User == "" && u.Scheme != "" && u.Scheme != "sip" && u.Scheme != "sips" {
		return u.Scheme + ":" + u.Raw()
	}
	return u.User
}

func (n *namer) requestAttrs(r *sip.Request) []string {
	var a []string
	inDialog := false
	if to := r.To(); to != nil {
		_, inDialog = to.Params.Get("tag")
	}
	// a registered contact's user stands for the AOR it registered
	ruri := n.aor(r.Recipient.User)
	if ruri != "" && !inDialog {
		// in a dialog the Request-URI is the remote target, a Contact the
		// other side minted: not compared
		a = append(a, "ruri="+ruri)
	}
	switch r.Method {
	case sip.REGISTER:
		if to := r.To(); to != nil {
			a = append(a, "aor="+to.Address.User)
		}
		if registerExpiresZero(r) {
			a = append(a, "expires=0")
		}
	case sip.INVITE, sip.SUBSCRIBE, sip.REFER, sip.MESSAGE, sip.OPTIONS:
		if from := r.From(); from != nil && from.Address.User != "" {
			a = append(a, "from="+from.Address.User)
		}
		if to := r.To(); to != nil && to.Address.User != ruri {
			a = append(a, "to="+to.Address.User)
		}
	}
	if header(r, "Authorization") != "" || header(r, "Proxy-Authorization") != "" {
		a = append(a, "auth")
	}
	if rt := r.ReferTo(); rt != nil {
		v := "refer-to=" + rt.Address.User
		if rep, ok := rt.Address.Headers.Get("Replaces"); ok {
			if un, err := url.QueryUnescape(rep); err == nil {
				rep = un
			}
			v += "+replaces:" + n.replacesCall(rep)
		}
		a = append(a, v)
	}
	if rep := header(r, "Replaces"); rep != "" {
		a = append(a, "replaces="+n.replacesCall(rep))
	}
	if header(r, "Referred-By") != "" {
		a = append(a, "referred-by")
	}
	if ev := header(r, "Event"); ev != "" {
		ev, _, _ = strings.Cut(ev, ";")
		a = append(a, "event="+strings.TrimSpace(ev))
	}
	if ss := header(r, "Subscription-State"); ss != "" {
		ss, _, _ = strings.Cut(ss, ";")
		a = append(a, "subscription="+strings.TrimSpace(ss))
	}
	if header(r, "RAck") != "" {
		a = append(a, "rack")
	}
	return clean(append(a, n.commonAttrs(r)...))
}

// clean keeps every attribute one token of the text form: whitespace
// (from a peer's odd header) becomes "_", an empty value "-".
func clean(attrs []string) []string {
	for i, a := range attrs {
		a = strings.Join(strings.Fields(a), "_")
		if a == "" {
			a = "-"
		}
		attrs[i] = a
	}
	return attrs
}

// token is one word of the text form ("-" for none).
func token(v string) string { return strings.Join(clean([]string{v}), "") }

// registerExpiresZero: an unREGISTER (Expires: 0, or expires=0 on every
// Contact, or Contact: *).
func registerExpiresZero(r *sip.Request) bool {
	if strings.TrimSpace(header(r, "Expires")) == "0" {
		return true
	}
	contacts := r.GetHeaders("Contact")
	if len(contacts) == 0 {
		return false
	}
	for _, h := range contacts {
		for _, v := range splitList(h.Value()) {
			v = strings.TrimSpace(v)
			if v == "*" {
				continue
			}
			var u sip.Uri
			p := sip.HeaderParams{}
			if _, err := sip.ParseAddressValue(v, &u, &p); err != nil {
				return false
			}
			if e, ok := p.Get("expires"); !ok || strings.TrimSpace(e) != "0" {
				return false
			}
		}
	}
	return true
}

// replacesCall maps the Call-ID of a Replaces value to its placeholder.
func (n *namer) replacesCall(v string) string {
	id, _, _ := strings.Cut(v, ";")
	return n.knownCall(strings.TrimSpace(id))
}

func (n *namer) responseAttrs(r *sip.Response) []string {
	var a []string
	if header(r, "WWW-Authenticate") != "" || header(r, "Proxy-Authenticate") != "" {
		a = append(a, "challenge")
	}
	if r.StatusCode >= 300 && r.StatusCode < 400 {
		for _, h := range r.GetHeaders("Contact") {
			for _, v := range splitList(h.Value()) {
				a = append(a, "contact="+addrUser(v))
			}
		}
	}
	if header(r, "RSeq") != "" {
		a = append(a, "rseq")
	}
	if header(r, "Retry-After") != "" {
		a = append(a, "retry-after")
	}
	return clean(append(a, n.commonAttrs(r)...))
}

// commonAttrs are the headers of requests and responses alike, then the
// body.
func (n *namer) commonAttrs(m sip.Message) []string {
	var a []string
	if has100rel(header(m, "Require")) {
		a = append(a, "require=100rel")
	}
	var div []string
	for _, v := range headerValues(m, "Diversion") {
		d := addrUser(v)
		var u sip.Uri
		p := sip.HeaderParams{}
		if _, err := sip.ParseAddressValue(v, &u, &p); err == nil {
			if reason, ok := p.Get("reason"); ok {
				d += "(" + strings.Trim(reason, `"`) + ")"
			}
		}
		div = append(div, d)
	}
	if len(div) > 0 {
		a = append(a, "diversion="+strings.Join(div, ","))
	}
	if hi := headerValues(m, "History-Info"); len(hi) > 0 {
		a = append(a, fmt.Sprintf("history-info=%d", len(hi)))
	}
	if pai := header(m, "P-Asserted-Identity"); pai != "" {
		a = append(a, "pai="+addrUser(splitList(pai)[0]))
	}
	if p := header(m, "Privacy"); p != "" {
		a = append(a, "privacy="+strings.ReplaceAll(p, " ", ""))
	}
	if reason := header(m, "Reason"); reason != "" {
		a = append(a, "reason="+reasonSummary(reason))
	}
	return append(a, bodyAttrs(m)...)
}

func has100rel(v string) bool {
	for _, t := range strings.Split(v, ",") {
		if strings.EqualFold(strings.TrimSpace(t), "100rel") {
			return true
		}
	}
	return false
}

// reasonSummary keeps the protocol and the cause of a Reason header
// ("SIP;cause=200"), not its text.
func reasonSummary(v string) string {
	parts := strings.Split(v, ";")
	out := strings.TrimSpace(parts[0])
	for _, p := range parts[1:] {
		k, val, _ := strings.Cut(strings.TrimSpace(p), "=")
		if strings.EqualFold(k, "cause") {
			out += ";cause=" + strings.TrimSpace(val)
		}
	}
	return out
}

// bodyAttrs summarises the body: SDP by its direction and codecs, a
// sipfrag by its status line's code, another type by its name.
func bodyAttrs(m sip.Message) []string {
	body := m.Body()
	if len(body) == 0 {
		return nil
	}
	ct, _, _ := strings.Cut(strings.ToLower(header(m, "Content-Type")), ";")
	ct = strings.TrimSpace(ct)
	switch ct {
	case "application/sdp", "":
		return []string{"sdp=" + sdpSummary(body)}
	case "message/sipfrag":
		line, _, _ := strings.Cut(string(body), "\n")
		fields := strings.Fields(line)
		if len(fields) >= 2 && strings.HasPrefix(strings.ToUpper(fields[0]), "SIP/") {
			return []string{"sipfrag=" + fields[1]}
		}
		return []string{"sipfrag=?"}
	default:
		return []string{"body=" + ct}
	}
}

// sdpSummary is "sendrecv,PCMU,PCMA,telephone-event", with "hold-c0" for
// a c=0.0.0.0 hold and "rejected" for port 0; "invalid" when the SDP does
// not parse.
func sdpSummary(b []byte) string {
	s, err := sdpneg.Parse(b)
	if err != nil {
		return "invalid"
	}
	parts := []string{s.Direction}
	if s.Addr.Addr().IsUnspecified() {
		parts = append(parts, "hold-c0")
	}
	if s.Addr.Port() == 0 {
		parts = append(parts, "rejected")
	}
	for _, c := range s.Codecs {
		parts = append(parts, c.Name)
	}
	return strings.Join(parts, ",")
}
