package config

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// maxExpires is the largest delta-seconds value of an Expires header
// (RFC 3261 §20.19).
const maxExpires = (1<<32 - 1) * time.Second

// Validate checks every field and the relations between fields. It returns
// nil or an errors.Join of *FieldError, each carrying the file and line of
// the offending field when the Config came from Parse or Load.
func (c *Config) Validate() error {
	return errors.Join(c.validate()...)
}

// validate returns the problems of c in schema order.
func (c *Config) validate() []error {
	v := &validator{c: c}
	v.sip()
	v.auth()
	v.registrar()
	v.call()
	v.media()
	v.voicemail()
	v.misc()
	v.subscribers()
	v.trustedPeers()
	v.peers()
	v.routes()
	v.dns()
	v.sessionTimersAll()
	v.conferences()
	v.recording()
	v.ivrs()
	v.numbering()
	v.services()
	return v.errs
}

type validator struct {
	c    *Config
	errs []error
}

// errorf records an error at path, located at the line of path in the source
// (or of its nearest enclosing field that was in the source).
func (v *validator) errorf(path, format string, args ...any) {
	e := &FieldError{Field: path, Msg: fmt.Sprintf(format, args...)}
	if src := v.c.src; src != nil {
		e.File = src.name
		e.Line = src.line(path)
	}
	v.errs = append(v.errs, e)
}

// line is the source line of path or of its closest ancestor, 0 if none.
func (s *source) line(path string) int {
	for path != "" {
		if l, ok := s.lines[path]; ok {
			return l
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			return 0
		}
		path = path[:i]
	}
	return 0
}

// inSource returns the first of paths that was written in the source file,
// or the first path when none was.
func (v *validator) inSource(paths ...string) string {
	if src := v.c.src; src != nil {
		for _, p := range paths {
			if _, ok := src.lines[p]; ok {
				return p
			}
		}
	}
	return paths[0]
}

func (v *validator) positive(path string, d time.Duration) {
	if d <= 0 {
		v.errorf(path, "must be greater than 0, got %s", d)
	}
}

func (v *validator) sip() {
	s := v.c.SIP
	if len(s.Listen) == 0 {
		v.errorf("sip.listen", "at least one listen address is required")
	}
	type bound struct {
		transport string
		addr      netip.AddrPort
	}
	seen := map[bound]int{}
	for i, raw := range s.Listen {
		p := fmt.Sprintf("sip.listen[%d]", i)
		la, err := ParseListenAddr(raw)
		if err != nil {
			v.errorf(p, "%v", err)
			continue
		}
		key := bound{la.Transport, la.AddrPort}
		if j, dup := seen[key]; dup {
			v.errorf(p, "duplicate listen address %q (also sip.listen[%d])", raw, j)
			continue
		}
		seen[key] = i
	}
	v.text("sip.user_agent", s.UserAgent)
	v.positive("sip.t1", s.T1)
	if s.T1 > 0 && s.T2 <= s.T1 {
		v.errorf(v.inSource("sip.t2", "sip.t1"), "t2 (%s) must be greater than t1 (%s)", s.T2, s.T1)
	}
	v.positive("sip.t4", s.T4)
	v.sourceLimits()
}

// Bounds of admin.token, in bytes.
const (
	MinAdminToken = 16
	MaxAdminToken = 1024
)

// adminToken checks admin.token; the messages never quote it.
func (v *validator) adminToken() {
	switch tok := string(v.c.Admin.Token); {
	case tok == "":
	case tok == RedactedSecret:
		v.errorf("admin.token", "%q is the placeholder --print-config prints; put the token itself here (or \"\" to turn the admin API off)", RedactedSecret)
	case len(tok) < MinAdminToken:
		v.errorf("admin.token", "must be at least %d characters, got %d (e.g. the output of \"openssl rand -hex 16\")", MinAdminToken, len(tok))
	case len(tok) > MaxAdminToken:
		v.errorf("admin.token", "must be at most %d characters, got %d", MaxAdminToken, len(tok))
	case hasControl(tok) || strings.ContainsAny(tok, " \t"):
		v.errorf("admin.token", "may not contain spaces or control characters")
	}
}

// Bounds of auth.nonce_secret, in bytes.
const (
	MinNonceSecret = 32
	MaxNonceSecret = 1024
)

func (v *validator) auth() {
	a := v.c.Auth
	v.positive("auth.nonce_ttl", a.NonceTTL)
	// The messages never quote the secret.
	switch sec := string(a.NonceSecret); {
	case sec == "":
	case sec == RedactedSecret:
		v.errorf("auth.nonce_secret", "%q is the placeholder --print-config prints; put the secret itself here (or \"\" to keep one in the store)", RedactedSecret)
	case len(sec) < MinNonceSecret:
		v.errorf("auth.nonce_secret", "must be at least %d characters, got %d (e.g. the output of \"openssl rand -hex 32\")", MinNonceSecret, len(sec))
	case len(sec) > MaxNonceSecret:
		v.errorf("auth.nonce_secret", "must be at most %d characters, got %d", MaxNonceSecret, len(sec))
	case hasControl(sec):
		v.errorf("auth.nonce_secret", "may not contain control characters")
	}
	if len(a.Realms) == 0 {
		v.errorf("auth.realms", "at least one realm is required")
	}
	names := map[string]int{}
	for i, r := range a.Realms {
		p := fmt.Sprintf("auth.realms[%d]", i)
		switch {
		case r.Name == "":
			v.errorf(p+".name", "realm name is required")
		case strings.ContainsAny(r.Name, "\"\\") || hasControl(r.Name):
			v.errorf(p+".name", "realm name %q may not contain quotes, backslashes or control characters", r.Name)
		default:
			if j, dup := names[r.Name]; dup {
				v.errorf(p+".name", "duplicate realm %q (also auth.realms[%d])", r.Name, j)
			}
			names[r.Name] = i
		}
		if len(r.Algorithms) == 0 {
			v.errorf(p+".algorithms", "at least one algorithm is required")
		}
		algs := map[Algorithm]bool{}
		for j, alg := range r.Algorithms {
			ap := fmt.Sprintf("%s.algorithms[%d]", p, j)
			switch {
			case alg != AlgorithmMD5 && alg != AlgorithmSHA256:
				v.errorf(ap, "unknown algorithm %q (want MD5 or SHA-256)", alg)
			case algs[alg]:
				v.errorf(ap, "duplicate algorithm %q", alg)
			}
			algs[alg] = true
		}
	}
}

func (v *validator) registrar() {
	r := v.c.Registrar
	if r.MinExpires < time.Second {
		v.errorf("registrar.min_expires", "must be at least 1 second, got %s", seconds(r.MinExpires))
	}
	if r.MaxExpires > maxExpires {
		v.errorf("registrar.max_expires", "must be at most %s, got %s", seconds(maxExpires), seconds(r.MaxExpires))
	}
	if r.MinExpires >= time.Second && r.DefaultExpires < r.MinExpires {
		v.errorf(v.inSource("registrar.default_expires", "registrar.min_expires"),
			"default_expires (%s) must not be below min_expires (%s)", seconds(r.DefaultExpires), seconds(r.MinExpires))
	}
	if r.MaxExpires < r.DefaultExpires {
		v.errorf(v.inSource("registrar.max_expires", "registrar.default_expires"),
			"max_expires (%s) must not be below default_expires (%s)", seconds(r.MaxExpires), seconds(r.DefaultExpires))
	}
	for _, f := range []struct {
		path string
		d    time.Duration
	}{{"registrar.min_expires", r.MinExpires}, {"registrar.max_expires", r.MaxExpires}, {"registrar.default_expires", r.DefaultExpires}} {
		if f.d%time.Second != 0 {
			v.errorf(f.path, "%s is not a whole number of seconds", f.d)
		}
	}
	v.positive("registrar.purge_interval", r.PurgeInterval)
	if r.Keepalive != 0 && r.Keepalive < 5*time.Second {
		v.errorf("registrar.keepalive", "must be 0 (off) or at least 5s, got %s", r.Keepalive)
	}
}

// seconds formats an expiry as its number of seconds.
func seconds(d time.Duration) string {
	if d%time.Second != 0 {
		return d.String()
	}
	return strconv.FormatInt(int64(d/time.Second), 10)
}

func (v *validator) call() {
	c := v.c.Call
	v.positive("call.no_answer_timeout", c.NoAnswerTimeout)
	if c.ShutdownGrace < 0 {
		v.errorf("call.shutdown_grace", "must not be negative, got %s", c.ShutdownGrace)
	}
	if c.Redirect != RedirectOff && c.Redirect.StatusCode() == 0 {
		v.errorf("call.redirect", "unknown redirect %q (want off, 301 or 302)", c.Redirect)
	}
	if c.MaxForwards < 1 || c.MaxForwards > 255 {
		v.errorf("call.max_forwards", "must be between 1 and 255, got %d", c.MaxForwards)
	}
}

func (v *validator) misc() {
	c := v.c
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		v.errorf("log.level", "unknown level %q (want debug, info, warn or error)", c.Log.Level)
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		v.errorf("log.format", "unknown format %q (want text or json)", c.Log.Format)
	}
	if c.Admin.Listen != "" {
		if msg := checkHostPort(c.Admin.Listen); msg != "" {
			v.errorf("admin.listen", "%s", msg)
		}
	}
	if c.Admin.Pprof && c.Admin.Listen == "" {
		v.errorf("admin.pprof", "needs admin.listen (the profiler is served on the admin listener)")
	}
	v.adminToken()
	if strings.ContainsRune(c.Store.Path, 0) {
		v.errorf("store.path", "may not contain a NUL byte")
	}
	if c.Store.CommitDelay < 0 || c.Store.CommitDelay > time.Second {
		v.errorf("store.commit_delay", "must be between 0 and 1s, got %s", c.Store.CommitDelay)
	}
	if strings.ContainsRune(c.Capture, 0) {
		v.errorf("capture", "may not contain a NUL byte")
	}
}

// checkHostPort validates "host:port" (host a name or an IP), "" if fine.
func checkHostPort(s string) string {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return fmt.Sprintf("%q is not host:port (e.g. \"127.0.0.1:8080\")", s)
	}
	if hasControl(host) || strings.ContainsAny(host, " /") {
		return fmt.Sprintf("bad host %q", host)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return fmt.Sprintf("port %q out of range (want 0-65535)", port)
	}
	return ""
}

// text rejects control characters in a value that ends up in a SIP header.
func (v *validator) text(path, s string) {
	if hasControl(s) {
		v.errorf(path, "%q may not contain control characters", s)
	}
}

func hasControl(s string) bool {
	return strings.ContainsFunc(s, unicode.IsControl)
}

func (v *validator) trustedPeers() {
	names := map[string]int{}
	for i, tp := range v.c.TrustedPeers {
		p := fmt.Sprintf("trusted_peers[%d]", i)
		if tp.Name == "" {
			v.errorf(p+".name", "peer name is required")
		} else if j, dup := names[tp.Name]; dup {
			v.errorf(p+".name", "duplicate peer %q (also trusted_peers[%d])", tp.Name, j)
		} else {
			names[tp.Name] = i
		}
		if _, err := tp.Prefix(); err != nil {
			v.errorf(p+".address", "%v", err)
		}
	}
}
