package pbx

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/emiago/sipgo/sip"
)

// ErrBadReferTo is a REFER's Refer-To the PBX cannot act on (missing,
// repeated, not a sip/sips URI with a user part, a Replaces that does not
// parse): the REFER gets 400.
var ErrBadReferTo = errors.New("bad Refer-To")

// referTarget is what a REFER asks for: the number to call, and for an
// attended transfer the dialog the new call replaces.
type referTarget struct {
	number   string
	replaces *replaces
}

// replaces names a dialog (RFC 3891 §6.1): its Call-ID, the tags, and
// whether only an early dialog may be replaced.
type replaces struct {
	callID, toTag, fromTag string
	earlyOnly              bool
}

// parseReferTo parses a Refer-To value (RFC 3515 §2.1): a name-addr or
// addr-spec whose sip/sips URI names the number in its user part and may
// carry an escaped Replaces header (RFC 3891 §7: an attended transfer).
func parseReferTo(v string) (referTarget, error) {
	var u sip.Uri
	hp := sip.NewParams()
	if _, err := sip.ParseAddressValue(strings.TrimSpace(v), &u, &hp); err != nil {
		return referTarget{}, fmt.Errorf("%w: %w", ErrBadReferTo, err)
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "sip" && scheme != "sips" {
		return referTarget{}, fmt.Errorf("%w: scheme %q", ErrBadReferTo, u.Scheme)
	}
	number := strings.TrimSuffix(strings.TrimSuffix(u.User, "%23"), "#")
	if number == "" || strings.ContainsAny(number, " \t\r\n<>\"") {
		return referTarget{}, fmt.Errorf("%w: no number in %q", ErrBadReferTo, v)
	}
	t := referTarget{number: number}
	for _, kv := range u.Headers {
		if !strings.EqualFold(kv.K, "Replaces") {
			continue
		}
		raw, err := url.PathUnescape(kv.V)
		if err != nil {
			return referTarget{}, fmt.Errorf("%w: Replaces: %w", ErrBadReferTo, err)
		}
		r, err := parseReplaces(raw)
		if err != nil {
			return referTarget{}, fmt.Errorf("%w: %w", ErrBadReferTo, err)
		}
		t.replaces = &r
	}
	return t, nil
}

// ErrBadReplaces is a Replaces header value that does not parse (RFC 3891
// §6.1: callid, to-tag and from-tag are all required).
var ErrBadReplaces = errors.New("bad Replaces")

// parseReplaces parses a Replaces header value (RFC 3891 §6.1).
func parseReplaces(v string) (replaces, error) {
	parts := strings.Split(strings.TrimSpace(v), ";")
	r := replaces{callID: strings.TrimSpace(parts[0])}
	if r.callID == "" || strings.ContainsAny(r.callID, " \t\r\n") {
		return replaces{}, fmt.Errorf("%w: no Call-ID in %q", ErrBadReplaces, v)
	}
	var hasTo, hasFrom bool
	for _, p := range parts[1:] {
		k, val, _ := strings.Cut(strings.TrimSpace(p), "=")
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "to-tag":
			r.toTag, hasTo = strings.TrimSpace(val), true
		case "from-tag":
			r.fromTag, hasFrom = strings.TrimSpace(val), true
		case "early-only":
			r.earlyOnly = true
		}
	}
	if !hasTo || !hasFrom || r.toTag == "" || r.fromTag == "" {
		return replaces{}, fmt.Errorf("%w: to-tag and from-tag required in %q", ErrBadReplaces, v)
	}
	return r, nil
}
