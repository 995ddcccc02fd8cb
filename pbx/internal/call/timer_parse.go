package call

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
)

// Header values of RFC 4028 (session timers). sipgo parses the message and
// keeps these headers as raw values; only the values are parsed here.
//
//	Session-Expires  = ("Session-Expires" / "x") HCOLON delta-seconds *(SEMI se-params)
//	se-params        = refresher-param / generic-param
//	refresher-param  = "refresher" EQUAL ("uas" / "uac")
//	Min-SE           = "Min-SE" HCOLON delta-seconds *(SEMI generic-param)

// sessionExpires is a parsed Session-Expires value.
type sessionExpires struct {
	delta time.Duration
	// refresher is "uac", "uas" or "" (absent).
	refresher string
}

// parseDelta parses RFC 3261 delta-seconds (1*DIGIT), at most 2^32-1.
func parseDelta(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("empty delta-seconds: %w", ErrBadTimerHeader)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("delta-seconds %q: %w", s, ErrBadTimerHeader)
		}
	}
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("delta-seconds %q: %w", s, ErrBadTimerHeader)
	}
	return time.Duration(n) * time.Second, nil
}

// parseParams splits ";name=value" generic params, checking each name is a
// token; it returns the lower-cased refresher value if present.
func parseParams(params []string) (string, error) {
	refresher := ""
	for _, p := range params {
		name, val, hasVal := strings.Cut(p, "=")
		name, val = strings.ToLower(strings.TrimSpace(name)), strings.TrimSpace(val)
		if name == "" || !isToken(name) || (hasVal && val == "") {
			return "", fmt.Errorf("param %q: %w", p, ErrBadTimerHeader)
		}
		if name == "refresher" {
			v := strings.ToLower(val)
			if v != "uac" && v != "uas" {
				return "", fmt.Errorf("refresher %q: %w", val, ErrBadTimerHeader)
			}
			if refresher != "" {
				return "", fmt.Errorf("two refresher params: %w", ErrBadTimerHeader)
			}
			refresher = v
		}
	}
	return refresher, nil
}

// isToken reports whether s is an RFC 3261 token.
func isToken(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("-.!%*_+`'~", c) >= 0:
		default:
			return false
		}
	}
	return s != ""
}

// parseSessionExpires parses a Session-Expires value ("1800;refresher=uac").
func parseSessionExpires(v string) (sessionExpires, error) {
	parts := strings.Split(v, ";")
	d, err := parseDelta(parts[0])
	if err != nil {
		return sessionExpires{}, fmt.Errorf("session-expires: %w", err)
	}
	r, err := parseParams(parts[1:])
	if err != nil {
		return sessionExpires{}, fmt.Errorf("session-expires: %w", err)
	}
	return sessionExpires{delta: d, refresher: r}, nil
}

// parseMinSE parses a Min-SE value ("90", "90;x=y").
func parseMinSE(v string) (time.Duration, error) {
	parts := strings.Split(v, ";")
	d, err := parseDelta(parts[0])
	if err != nil {
		return 0, fmt.Errorf("min-se: %w", err)
	}
	if _, err := parseParams(parts[1:]); err != nil {
		return 0, fmt.Errorf("min-se: %w", err)
	}
	return d, nil
}

// timerHeaders are the RFC 4028 headers of a message.
type timerHeaders struct {
	se        *sessionExpires // nil: no Session-Expires
	minSE     time.Duration   // 0: no Min-SE
	supported bool            // "timer" in Supported (or Require)
	required  bool            // "timer" in Require
	update    bool            // UPDATE in Allow
}

// readTimerHeaders reads m's RFC 4028 headers; a malformed or repeated
// Session-Expires or Min-SE is an error (the request gets 400).
func readTimerHeaders(m sip.Message) (timerHeaders, error) {
	var th timerHeaders
	ses := append(m.GetHeaders("Session-Expires"), m.GetHeaders("x")...)
	switch len(ses) {
	case 0:
	case 1:
		se, err := parseSessionExpires(ses[0].Value())
		if err != nil {
			return th, err
		}
		th.se = &se
	default:
		return th, fmt.Errorf("%d Session-Expires headers: %w", len(ses), ErrBadTimerHeader)
	}
	switch ms := m.GetHeaders("Min-SE"); len(ms) {
	case 0:
	case 1:
		d, err := parseMinSE(ms[0].Value())
		if err != nil {
			return th, err
		}
		th.minSE = d
	default:
		return th, fmt.Errorf("%d Min-SE headers: %w", len(ms), ErrBadTimerHeader)
	}
	th.required = hasToken(m, "Require", "timer")
	th.supported = th.required || hasToken(m, "Supported", "timer") || hasToken(m, "k", "timer")
	th.update = hasToken(m, "Allow", string(sip.UPDATE))
	return th, nil
}

// hasToken reports whether a comma-separated header of m lists tok.
func hasToken(m sip.Message, name, tok string) bool {
	for _, h := range m.GetHeaders(name) {
		for _, v := range strings.Split(h.Value(), ",") {
			if strings.EqualFold(strings.TrimSpace(v), tok) {
				return true
			}
		}
	}
	return false
}
