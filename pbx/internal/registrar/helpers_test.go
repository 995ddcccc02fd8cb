package registrar

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"

	"pbxlab/internal/clock"
	"pbxlab/pbx/internal/digestauth"
)

var t0 = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

func testCtx(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

type users map[string]string

func (u users) Password(realm, user string) (string, bool) {
	p, ok := u[user]
	return p, ok && realm == "pbx"
}

func newAuth(t testing.TB, clk clock.Clock) *digestauth.Auth {
	t.Helper()
	a, err := digestauth.New([]digestauth.Realm{{Name: "pbx", Algorithms: []string{"SHA-256", "MD5"}}},
		users{"1000": "pw1000", "1001": "pw1001"}, digestauth.WithClock(clk))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func newReg(t testing.TB, st Store, auth bool, opts ...Option) (*Registrar, *clock.Fake) {
	t.Helper()
	clk := clock.NewFake(t0)
	var a *digestauth.Auth
	if auth {
		a = newAuth(t, clk)
	}
	if st == nil {
		st = NewMemStore()
	}
	r, err := New(st, a, append([]Option{WithClock(clk)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return r, clk
}

// reg describes a REGISTER to build.
type reg struct {
	user     string // To/From user
	callID   string // default "call-1"
	cseq     uint32 // default 1
	expires  string // Expires header value, "" = none
	contacts []string
	source   string // default "198.51.100.7:5060"
	tp       string // default "UDP"
}

func (g reg) build(t testing.TB) *sip.Request {
	t.Helper()
	var ruri, to sip.Uri
	if err := sip.ParseUri("sip:pbx.example.com", &ruri); err != nil {
		t.Fatal(err)
	}
	if err := sip.ParseUri("sip:"+g.user+"@pbx.example.com", &to); err != nil {
		t.Fatal(err)
	}
	req := sip.NewRequest(sip.REGISTER, ruri)
	req.AppendHeader(sip.NewHeader("Via", "SIP/2.0/UDP 10.0.0.5:5062;rport;branch=z9hG4bK"+strconv.Itoa(int(g.cseq))))
	req.AppendHeader(&sip.ToHeader{Address: to})
	req.AppendHeader(&sip.FromHeader{Address: to, Params: sip.HeaderParams{{K: "tag", V: "ft"}}})
	callID := sip.CallIDHeader(g.callID)
	if g.callID == "" {
		callID = "call-1"
	}
	req.AppendHeader(&callID)
	cseq := g.cseq
	if cseq == 0 {
		cseq = 1
	}
	req.AppendHeader(&sip.CSeqHeader{SeqNo: cseq, MethodName: sip.REGISTER})
	for _, c := range g.contacts {
		req.AppendHeader(sip.NewHeader("Contact", c))
	}
	if g.expires != "" {
		req.AppendHeader(sip.NewHeader("Expires", g.expires))
	}
	src, tp := g.source, g.tp
	if src == "" {
		src = "198.51.100.7:5060"
	}
	if tp == "" {
		tp = "UDP"
	}
	req.SetSource(src)
	req.SetTransport(tp)
	return req
}

// contactsOf returns "uri expires=N[ q=Q]" for each Contact of res.
func contactsOf(t testing.TB, res *sip.Response) []string {
	t.Helper()
	var out []string
	for _, h := range res.GetHeaders("Contact") {
		c, ok := h.(*sip.ContactHeader)
		if !ok {
			t.Fatalf("contact %T", h)
		}
		s := c.Address.String()
		if v, ok := c.Params.Get("expires"); ok {
			s += " expires=" + v
		}
		if v, ok := c.Params.Get("q"); ok {
			s += " q=" + v
		}
		out = append(out, s)
	}
	return out
}

// authorize answers the first challenge of res the way sipgo's client does.
func authorize(t testing.TB, req *sip.Request, res *sip.Response, user, password string) {
	t.Helper()
	h := res.GetHeader("WWW-Authenticate")
	if h == nil {
		t.Fatalf("no challenge in %d response", res.StatusCode)
	}
	chal, err := digest.ParseChallenge(h.Value())
	if err != nil {
		t.Fatal(err)
	}
	cred, err := digest.Digest(chal, digest.Options{Method: "REGISTER", URI: req.Recipient.Addr(), Username: user, Password: password})
	if err != nil {
		t.Fatal(err)
	}
	req.RemoveHeader("Authorization")
	req.AppendHeader(sip.NewHeader("Authorization", cred.String()))
}

func describe(bs []Binding) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = fmt.Sprintf("%s q=%g", b.Contact, b.Q)
	}
	return out
}
