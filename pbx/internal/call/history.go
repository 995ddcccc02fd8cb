package call

import (
	"strconv"
	"strings"

	"github.com/emiago/sipgo/sip"
)

// Retargeting history on the INVITE to a callee.
//
// Diversion (RFC 5806) is passed through as the caller sent it: a carrier
// or an upstream PBX says why the call reached us; the forwarding services
// will add their own entry.
//
// History-Info (RFC 7044) is kept when the caller uses it (the INVITE has
// History-Info or Supported: histinfo): the PBX copies the entries, adds
// one for the Request-URI it received when there is none, and appends the
// target it sends to as a child of that entry, one index per fork (1.1,
// 1.2 ...), tagged rc (RFC 7044 §9.1: retargeted to a registered contact
// of the AOR) — a subscriber's contacts are what a PBX's fork is.

// relayedInInvite are copied from the caller's INVITE onto every INVITE
// of its forks.
var relayedInInvite = []string{"Diversion"}

// historyHeaders returns the headers the INVITE to target (the fork-th
// fork, from 1) carries because of the caller's INVITE in.
func historyHeaders(in *sip.Request, target sip.Uri, fork int) []sip.Header {
	var out []sip.Header
	if in == nil {
		return nil // a placed call (place.go)
	}
	for _, name := range relayedInInvite {
		for _, h := range in.GetHeaders(name) {
			out = append(out, sip.HeaderClone(h))
		}
	}
	entries := historyEntries(in)
	if entries == nil && !supports(in, "histinfo") {
		return out
	}
	parent := ""
	for _, e := range entries {
		out = append(out, sip.NewHeader("History-Info", e.text))
		if e.index != "" {
			parent = e.index
		}
	}
	if len(entries) == 0 {
		parent = "1"
		out = append(out, sip.NewHeader("History-Info", "<"+in.Recipient.String()+">;index=1"))
	}
	t := target.Clone()
	t.Headers = nil
	out = append(out, sip.NewHeader("History-Info", "<"+t.String()+">;index="+parent+"."+strconv.Itoa(fork)+";rc="+parent))
	return out
}

// historyEntry is one hi-entry: its text as received and its index.
type historyEntry struct{ text, index string }

// historyEntries splits the History-Info headers of m into entries (a
// header may hold several, comma-separated); an entry sipgo cannot parse
// is kept with no index. Nil when m has none.
func historyEntries(m sip.Message) []historyEntry {
	var out []historyEntry
	for _, h := range m.GetHeaders("History-Info") {
		for _, text := range splitList(h.Value()) {
			var uri sip.Uri
			params := sip.NewParams()
			e := historyEntry{text: text}
			if _, err := sip.ParseAddressValue(text, &uri, &params); err == nil {
				e.index, _ = params.Get("index")
			}
			out = append(out, e)
		}
	}
	return out
}

// splitList splits a header value at the commas that separate its
// elements: not inside <...> or a quoted string (RFC 3261 §7.3.1).
func splitList(v string) []string {
	var out []string
	depth, quoted, escaped, start := 0, false, false, 0
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case escaped:
			escaped = false
		case quoted && c == '\\':
			escaped = true
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == '<':
			depth++
		case c == '>' && depth > 0:
			depth--
		case c == ',' && depth == 0:
			if s := strings.TrimSpace(v[start:i]); s != "" {
				out = append(out, s)
			}
			start = i + 1
		}
	}
	if s := strings.TrimSpace(v[start:]); s != "" {
		out = append(out, s)
	}
	return out
}

// supports reports whether m's Supported headers list option.
func supports(m sip.Message, option string) bool {
	for _, h := range m.GetHeaders("Supported") {
		for _, o := range strings.Split(h.Value(), ",") {
			if strings.EqualFold(strings.TrimSpace(o), option) {
				return true
			}
		}
	}
	return false
}
