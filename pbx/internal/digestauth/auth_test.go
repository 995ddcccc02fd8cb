package digestauth

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"

	"pbxlab/internal/clock"
)

type users map[string]string // "realm/user" -> password

func (u users) Password(realm, user string) (string, bool) {
	p, ok := u[realm+"/"+user]
	return p, ok
}

var start = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func newAuth(t testing.TB, algs []string, opts ...Option) (*Auth, *clock.Fake) {
	t.Helper()
	clk := clock.NewFake(start)
	a, err := New([]Realm{{Name: "pbx", Algorithms: algs}, {Name: "other", Algorithms: []string{"MD5"}}},
		users{"pbx/1000": "secret", "other/1000": "other-secret"},
		append([]Option{WithClock(clk), WithSecret([]byte("k"))}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return a, clk
}

func register(t testing.TB) *sip.Request {
	t.Helper()
	var ruri, to sip.Uri
	if err := sip.ParseUri("sip:pbx.example.com", &ruri); err != nil {
		t.Fatal(err)
	}
	if err := sip.ParseUri("sip:1000@pbx.example.com", &to); err != nil {
		t.Fatal(err)
	}
	req := sip.NewRequest(sip.REGISTER, ruri)
	req.AppendHeader(sip.NewHeader("Via", "SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bK1"))
	req.AppendHeader(&sip.ToHeader{Address: to})
	req.AppendHeader(&sip.FromHeader{Address: to, Params: sip.HeaderParams{{K: "tag", V: "a"}}})
	callID := sip.CallIDHeader("c1")
	req.AppendHeader(&callID)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: 1, MethodName: sip.REGISTER})
	return req
}

// answer does what sipgo's client does in digestAuthApply: parse the header
// number which (0 = the first, as sipgo does), compute with icholy/digest
// over req.Recipient.Addr(), and set the Authorization header.
func answer(t testing.TB, req *sip.Request, res *sip.Response, which int, user, password string) {
	t.Helper()
	name, out := "WWW-Authenticate", "Authorization"
	if res.StatusCode == sip.StatusProxyAuthRequired {
		name, out = "Proxy-Authenticate", "Proxy-Authorization"
	}
	hs := res.GetHeaders(name)
	if len(hs) <= which {
		t.Fatalf("response has %d %s headers", len(hs), name)
	}
	chal, err := digest.ParseChallenge(hs[which].Value())
	if err != nil {
		t.Fatal(err)
	}
	chal.Algorithm = sip.ASCIIToUpper(chal.Algorithm)
	cred, err := digest.Digest(chal, digest.Options{
		Method: req.Method.String(), URI: req.Recipient.Addr(), Username: user, Password: password,
	})
	if err != nil {
		t.Fatal(err)
	}
	req.RemoveHeader(out)
	req.AppendHeader(sip.NewHeader(out, cred.String()))
}

func algorithms(t *testing.T, res *sip.Response, name string) []string {
	t.Helper()
	var got []string
	for _, h := range res.GetHeaders(name) {
		c, err := digest.ParseChallenge(h.Value())
		if err != nil {
			t.Fatal(err)
		}
		if c.Realm != "pbx" || !c.SupportsQOP("auth") || c.Nonce == "" {
			t.Fatalf("challenge %q: want realm pbx, qop auth, a nonce", h.Value())
		}
		got = append(got, c.Algorithm)
	}
	return got
}

func TestChallengeHeaderOrder(t *testing.T) {
	tests := []struct {
		name  string
		algs  []string
		proxy bool
		code  int
		hdr   string
		want  []string
	}{
		{"md5 first", []string{"MD5", "SHA-256"}, false, 401, "WWW-Authenticate", []string{"MD5", "SHA-256"}},
		{"sha-256 first", []string{"sha-256", "md5"}, false, 401, "WWW-Authenticate", []string{"SHA-256", "MD5"}},
		{"default md5", nil, false, 401, "WWW-Authenticate", []string{"MD5"}},
		{"proxy", []string{"SHA-256", "MD5"}, true, 407, "Proxy-Authenticate", []string{"SHA-256", "MD5"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, _ := newAuth(t, tc.algs)
			res := a.Challenge(register(t), "", tc.proxy, false)
			if res.StatusCode != tc.code {
				t.Fatalf("status %d, want %d", res.StatusCode, tc.code)
			}
			if got := algorithms(t, res, tc.hdr); strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Fatalf("algorithms %v, want %v", got, tc.want)
			}
		})
	}
}

func TestChallengeUnknownRealmIs500(t *testing.T) {
	a, _ := newAuth(t, nil)
	if res := a.Challenge(register(t), "nope", false, false); res.StatusCode != 500 {
		t.Fatalf("status %d, want 500", res.StatusCode)
	}
}

func TestClientLikeSipgoVerifies(t *testing.T) {
	tests := []struct {
		name  string
		algs  []string
		which int
		proxy bool
	}{
		{"md5 first, client takes md5", []string{"MD5", "SHA-256"}, 0, false},
		{"sha-256 first, client takes sha-256", []string{"SHA-256", "MD5"}, 0, false},
		{"md5 first, client takes sha-256", []string{"MD5", "SHA-256"}, 1, false},
		{"sha-512-256", []string{"SHA-512-256"}, 0, false},
		{"proxy sha-256", []string{"SHA-256"}, 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, clk := newAuth(t, tc.algs)
			req := register(t)
			if _, _, err := a.Verify(req, tc.proxy); !errors.Is(err, ErrNoCredentials) {
				t.Fatalf("no header: %v", err)
			}
			answer(t, req, a.Challenge(req, "pbx", tc.proxy, false), tc.which, "1000", "secret")
			clk.Advance(4 * time.Minute)
			user, realm, err := a.Verify(req, tc.proxy)
			if err != nil || user != "1000" || realm != "pbx" {
				t.Fatalf("Verify = %q %q %v", user, realm, err)
			}
			if _, _, err := a.Verify(req, !tc.proxy); !errors.Is(err, ErrNoCredentials) {
				t.Fatalf("other header kind: %v, want ErrNoCredentials", err)
			}
		})
	}
}

func TestVerifyFailures(t *testing.T) {
	otherSecret, _ := newAuth(t, nil, WithSecret([]byte("other")))
	tests := []struct {
		name   string
		algs   []string
		user   string
		pass   string
		mutate func(t *testing.T, a *Auth, clk *clock.Fake, req *sip.Request)
		want   error
	}{
		{"wrong password", nil, "1000", "guess", nil, ErrWrongPassword},
		{"unknown user", nil, "1001", "secret", nil, ErrUnknownUser},
		{"stale", nil, "1000", "secret", func(t *testing.T, a *Auth, clk *clock.Fake, req *sip.Request) {
			clk.Advance(5*time.Minute + time.Second)
		}, ErrStaleNonce},
		{"stale but wrong password", nil, "1000", "guess", func(t *testing.T, a *Auth, clk *clock.Fake, req *sip.Request) {
			clk.Advance(time.Hour)
		}, ErrWrongPassword},
		{"tampered nonce", nil, "1000", "secret", func(t *testing.T, a *Auth, clk *clock.Fake, req *sip.Request) {
			setParam(t, req, "nonce", func(n string) string {
				if n[3] == 'A' {
					return n[:3] + "B" + n[4:]
				}
				return n[:3] + "A" + n[4:]
			})
		}, ErrBadNonce},
		{"nonce from another secret", nil, "1000", "secret", func(t *testing.T, a *Auth, clk *clock.Fake, req *sip.Request) {
			setParam(t, req, "nonce", func(string) string { return otherSecret.newNonce("pbx") })
		}, ErrBadNonce},
		{"nonce of another realm", nil, "1000", "secret", func(t *testing.T, a *Auth, clk *clock.Fake, req *sip.Request) {
			setParam(t, req, "nonce", func(string) string { return a.newNonce("other") })
		}, ErrBadNonce},
		{"unknown realm", nil, "1000", "secret", func(t *testing.T, a *Auth, clk *clock.Fake, req *sip.Request) {
			setParam(t, req, "realm", func(string) string { return "elsewhere" })
		}, ErrUnknownRealm},
		{"uri mismatch", nil, "1000", "secret", func(t *testing.T, a *Auth, clk *clock.Fake, req *sip.Request) {
			req.Recipient.Host = "evil.example.com"
		}, ErrURIMismatch},
		{"md5 downgrade", []string{"SHA-256"}, "1000", "secret", func(t *testing.T, a *Auth, clk *clock.Fake, req *sip.Request) {
			setParam(t, req, "algorithm", func(string) string { return "MD5" })
		}, ErrAlgorithm},
		{"auth-int not offered", nil, "1000", "secret", func(t *testing.T, a *Auth, clk *clock.Fake, req *sip.Request) {
			setParam(t, req, "qop", func(string) string { return "auth-int" })
		}, ErrMalformed},
		{"garbage", nil, "1000", "secret", func(t *testing.T, a *Auth, clk *clock.Fake, req *sip.Request) {
			req.RemoveHeader("Authorization")
			req.AppendHeader(sip.NewHeader("Authorization", `Digest username="1000", realm="pbx", nonce="abc`))
		}, ErrMalformed},
		{"only unknown scheme", nil, "1000", "secret", func(t *testing.T, a *Auth, clk *clock.Fake, req *sip.Request) {
			req.RemoveHeader("Authorization")
			req.AppendHeader(sip.NewHeader("Authorization", "NoOneKnowsThisScheme opaque-data=here"))
		}, ErrNoCredentials},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var refused []error
			a, clk := newAuth(t, tc.algs, WithRefused(func(_ *sip.Request, err error) { refused = append(refused, err) }))
			req := register(t)
			answer(t, req, a.Challenge(req, "pbx", false, false), 0, tc.user, tc.pass)
			if tc.mutate != nil {
				tc.mutate(t, a, clk, req)
			}
			_, _, err := a.Verify(req, false)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Verify err = %v, want %v", err, tc.want)
			}
			// only a guess (wrong password, unknown user) is reported as refused
			guess := errors.Is(tc.want, ErrWrongPassword) || errors.Is(tc.want, ErrUnknownUser)
			if guess && (len(refused) != 1 || !errors.Is(refused[0], tc.want)) || !guess && len(refused) != 0 {
				t.Fatalf("WithRefused hook got %v for %v", refused, tc.want)
			}
		})
	}
}

// setParam rewrites one parameter of the Authorization header.
func setParam(t *testing.T, req *sip.Request, key string, f func(string) string) {
	t.Helper()
	c, err := digest.ParseCredentials(req.GetHeader("Authorization").Value())
	if err != nil {
		t.Fatal(err)
	}
	switch key {
	case "nonce":
		c.Nonce = f(c.Nonce)
	case "realm":
		c.Realm = f(c.Realm)
	case "algorithm":
		c.Algorithm = f(c.Algorithm)
	case "qop":
		c.QOP = f(c.QOP)
	default:
		t.Fatalf("setParam %s", key)
	}
	req.RemoveHeader("Authorization")
	req.AppendHeader(sip.NewHeader("Authorization", c.String()))
}

func TestStaleChallengeCarriesStaleTrue(t *testing.T) {
	a, clk := newAuth(t, []string{"SHA-256", "MD5"})
	req := register(t)
	answer(t, req, a.Challenge(req, "pbx", false, false), 0, "1000", "secret")
	clk.Advance(6 * time.Minute)
	_, _, err := a.Verify(req, false)
	if !errors.Is(err, ErrStaleNonce) {
		t.Fatalf("err = %v, want stale", err)
	}
	res := a.Challenge(req, "pbx", false, errors.Is(err, ErrStaleNonce))
	for _, h := range res.GetHeaders("WWW-Authenticate") {
		c, err := digest.ParseChallenge(h.Value())
		if err != nil || !c.Stale {
			t.Fatalf("challenge %q: stale=%v err=%v", h.Value(), c != nil && c.Stale, err)
		}
	}
	// The client retries with the fresh nonce and the same password.
	answer(t, req, res, 0, "1000", "secret")
	if _, _, err := a.Verify(req, false); err != nil {
		t.Fatalf("retry after stale: %v", err)
	}
}

func TestVerifyWithoutQOP(t *testing.T) {
	a, _ := newAuth(t, []string{"MD5", "SHA-256"})
	for _, alg := range []string{"MD5", "SHA-256"} {
		req := register(t)
		chal := &digest.Challenge{Realm: "pbx", Nonce: a.newNonce("pbx"), Algorithm: alg} // RFC 2069 style
		cred, err := digest.Digest(chal, digest.Options{Method: "REGISTER", URI: req.Recipient.Addr(), Username: "1000", Password: "secret"})
		if err != nil {
			t.Fatal(err)
		}
		req.AppendHeader(sip.NewHeader("Authorization", cred.String()))
		if _, _, err := a.Verify(req, false); err != nil {
			t.Fatalf("%s without qop: %v", alg, err)
		}
	}
}

func TestVerifySkipsOtherSchemesAndRealms(t *testing.T) {
	a, _ := newAuth(t, nil)
	req := register(t)
	res := a.Challenge(req, "other", false, false)
	req.AppendHeader(sip.NewHeader("Authorization", "NoOneKnowsThisScheme opaque-data=here"))
	req.AppendHeader(sip.NewHeader("Authorization", `Digest username="x", realm="nowhere", nonce="n", uri="sip:a", response="r"`))
	answer2 := register(t)
	answer(t, answer2, res, 0, "1000", "other-secret")
	req.AppendHeader(answer2.GetHeader("Authorization"))
	user, realm, err := a.Verify(req, false)
	if err != nil || user != "1000" || realm != "other" {
		t.Fatalf("Verify = %q %q %v", user, realm, err)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	tests := []struct {
		name   string
		realms []Realm
		creds  Credentials
	}{
		{"no realm", nil, users{}},
		{"no credentials", []Realm{{Name: "a"}}, nil},
		{"duplicate", []Realm{{Name: "a"}, {Name: "a"}}, users{}},
		{"unknown algorithm", []Realm{{Name: "a", Algorithms: []string{"MD5-sess"}}}, users{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := New(tc.realms, tc.creds); !errors.Is(err, ErrConfig) {
				t.Fatalf("err = %v, want ErrConfig", err)
			}
		})
	}
}

// hostOnly are users whose digest uri may lack the user part.
type hostOnly struct {
	users
	lenient map[string]bool // "realm/user"
}

func (h hostOnly) HostOnlyURI(realm, user string) bool { return h.lenient[realm+"/"+user] }

// TestHostOnlyURI: an INVITE to sip:1001@pbx:5060 whose credentials carry
// uri=sip:pbx:5060 (SIPp's habit) is refused with ErrURIMismatch unless
// the user is host-only; a host-only user still must name the right host
// and port.
func TestHostOnlyURI(t *testing.T) {
	creds := hostOnly{users{"pbx/1000": "secret", "pbx/2000": "secret"}, map[string]bool{"pbx/2000": true}}
	clk := clock.NewFake(start)
	a, err := New([]Realm{{Name: "pbx"}}, creds, WithClock(clk), WithSecret([]byte("k")))
	if err != nil {
		t.Fatal(err)
	}
	invite := func(user, digestURI string) *sip.Request {
		var ruri sip.Uri
		if err := sip.ParseUri("sip:1001@pbx.example.com:5060", &ruri); err != nil {
			t.Fatal(err)
		}
		req := sip.NewRequest(sip.INVITE, ruri)
		ch := a.Challenge(req, "pbx", true, false)
		chal, err := digest.ParseChallenge(ch.GetHeader("Proxy-Authenticate").Value())
		if err != nil {
			t.Fatal(err)
		}
		cred, err := digest.Digest(chal, digest.Options{Method: "INVITE", URI: digestURI, Username: user, Password: "secret"})
		if err != nil {
			t.Fatal(err)
		}
		req.AppendHeader(sip.NewHeader("Proxy-Authorization", cred.String()))
		return req
	}
	for _, tc := range []struct {
		user, uri string
		want      error
	}{
		{"1000", "sip:1001@pbx.example.com:5060", nil},
		{"1000", "sip:pbx.example.com:5060", ErrURIMismatch},
		{"2000", "sip:pbx.example.com:5060", nil},
		{"2000", "sip:pbx.example.com:5070", ErrURIMismatch},
		{"2000", "sip:elsewhere.example.com:5060", ErrURIMismatch},
	} {
		if _, _, err := a.Verify(invite(tc.user, tc.uri), true); !errors.Is(err, tc.want) {
			t.Errorf("user %s uri %s: Verify = %v, want %v", tc.user, tc.uri, err, tc.want)
		}
	}
}

// BenchmarkVerify is one REGISTER's digest check (credentials parsed, nonce
// and response verified); its B/op is what a REGISTER costs the heap here.
func BenchmarkVerify(b *testing.B) {
	a, _ := newAuth(b, []string{"MD5"})
	req := register(b)
	answer(b, req, a.Challenge(req, "pbx", false, false), 0, "1000", "secret")
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := a.Verify(req, false); err != nil {
			b.Fatal(err)
		}
	}
}

// TestParseCredentialsPatched pins what third_party/digest's patched
// parameter parser (reader sized to the header, bytes for runes) reads:
// escapes, UTF-8 and invalid UTF-8 in quoted strings, tokens, spacing.
func TestParseCredentialsPatched(t *testing.T) {
	tests := []struct {
		in, user, realm, uri string
	}{
		{`Digest username="a\"b\\c", realm="r", nonce="n", uri="sip:x", response="0"`, `a"b\c`, "r", "sip:x"},
		{`Digest username="ré", realm="pbx", nonce="n",uri="sip:1000@pbx", response="0"`, "ré", "pbx", "sip:1000@pbx"},
		{"Digest username=\"\xff\", realm=pbx, nonce=n, uri=\"u\", response=0", "\uFFFD", "pbx", "u"},
		{`Digest   username = "u" ,realm="` + strings.Repeat("x", 5000) + `", nonce="n", uri="u", response="0"`, "u", strings.Repeat("x", 5000), "u"},
	}
	for _, tc := range tests {
		c, err := digest.ParseCredentials(tc.in)
		if err != nil {
			t.Fatalf("%.60q: %v", tc.in, err)
		}
		if c.Username != tc.user || c.Realm != tc.realm || c.URI != tc.uri {
			t.Errorf("%.60q: username %q realm %.20q uri %q, want %q %.20q %q", tc.in, c.Username, c.Realm, c.URI, tc.user, tc.realm, tc.uri)
		}
	}
	for _, bad := range []string{`Digest username="unterminated`, `Digest username`, `Digest username="a" realm="b"`} {
		if _, err := digest.ParseCredentials(bad); err == nil {
			t.Errorf("%q: parsed, want an error", bad)
		}
	}
}

// TestFormatPatched pins what third_party/digest's patched formatting
// (one buffer, quoted values written as they are when strconv.Quote would
// not change them) writes: upstream's text, Key="strconv.Quote(Value)"
// joined by ", ", for values that quote as they are and values that do
// not (quotes, backslashes, control bytes, UTF-8, invalid UTF-8).
func TestFormatPatched(t *testing.T) {
	upstream := func(pp ...[2]string) string { // key, value; quoted unless the key is unquoted
		var parts []string
		for _, p := range pp {
			if p[0] == "stale" || p[0] == "algorithm" || p[0] == "nc" {
				parts = append(parts, p[0]+"="+p[1])
			} else {
				parts = append(parts, p[0]+"="+strconv.Quote(p[1]))
			}
		}
		return digest.Prefix + strings.Join(parts, ", ")
	}
	for _, v := range []string{"pbxlab", `a"b`, `a\b`, "tab\there", "ré", "\xff", "", strings.Repeat("n", 300)} {
		ch := digest.Challenge{Realm: v, Nonce: "n" + v, Algorithm: "MD5", QOP: []string{"auth"}, Stale: true}
		want := upstream([2]string{"realm", v}, [2]string{"nonce", "n" + v}, [2]string{"stale", "true"},
			[2]string{"algorithm", "MD5"}, [2]string{"qop", "auth"})
		if got := ch.String(); got != want {
			t.Errorf("challenge with %q:\n got %s\nwant %s", v, got, want)
		}
		if strconv.Quote(v) != `"`+v+`"` {
			continue // written escaped, as upstream; its parser reads `\t` as "t"
		}
		if back, err := digest.ParseChallenge(ch.String()); err != nil || back.Realm != v {
			t.Errorf("challenge with %q reads back as %+v, %v", v, back, err)
		}
	}
}

// TestDigestKnownAnswers pins third_party/digest's patched hash (the parts
// joined in one buffer) to the RFC examples: RFC 2617 §3.5 (MD5, qop=auth)
// and RFC 7616 §3.9.1 (SHA-256), and RFC 2069's form without qop.
func TestDigestKnownAnswers(t *testing.T) {
	for _, tc := range []struct {
		name string
		chal digest.Challenge
		opts digest.Options
		want string
	}{
		{"RFC 2617", digest.Challenge{Realm: "testrealm@host.com", Nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093", QOP: []string{"auth"}},
			digest.Options{Method: "GET", URI: "/dir/index.html", Username: "Mufasa", Password: "Circle Of Life", Count: 1, Cnonce: "0a4f113b"},
			"6629fae49393a05397450978507c4ef1"},
		{"RFC 7616 SHA-256", digest.Challenge{Realm: "http-auth@example.org", Nonce: "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
			Algorithm: "SHA-256", QOP: []string{"auth"}, Opaque: "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"},
			digest.Options{Method: "GET", URI: "/dir/index.html", Username: "Mufasa", Password: "Circle of Life", Count: 1,
				Cnonce: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"},
			"753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"},
		{"RFC 2069", digest.Challenge{Realm: "testrealm@host.com", Nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093"},
			digest.Options{Method: "GET", URI: "/dir/index.html", Username: "Mufasa", Password: "CircleOfLife"},
			"1949323746fe6a43ef61f9606e7febea"},
	} {
		cred, err := digest.Digest(&tc.chal, tc.opts)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if cred.Response != tc.want {
			t.Errorf("%s: response %s, want %s", tc.name, cred.Response, tc.want)
		}
	}
}
