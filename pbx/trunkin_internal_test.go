package pbx

import (
	"testing"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/sipreg"
)

func inviteWith(hdrs map[string][]string) *sip.Request {
	req := sip.NewRequest(sip.INVITE, sip.Uri{Scheme: "sip", User: "1000", Host: "pbx.test"})
	for name, vs := range hdrs {
		for _, v := range vs {
			req.AppendHeader(sip.NewHeader(name, v))
		}
	}
	return req
}

func TestAssertedUserAndPrivacy(t *testing.T) {
	for _, tc := range []struct {
		pai     []string
		privacy []string
		user    string
		ok      bool
		anon    bool
	}{
		{pai: []string{"<sip:02012345678@carrier.test>"}, user: "02012345678", ok: true},
		{pai: []string{`"Alice" <sip:+4930123@carrier.test;user=phone>`}, user: "+4930123", ok: true},
		{pai: []string{"<tel:+4930123;cpc=ordinary>"}, user: "+4930123", ok: true},
		{pai: []string{"<sip:carrier.test>, <tel:+111>"}, user: "+111", ok: true},
		{pai: []string{"garbage"}},
		{},
		{privacy: []string{"id"}, anon: true},
		{privacy: []string{"header;user"}, anon: true},
		{privacy: []string{"none"}},
		{privacy: []string{"session", "ID"}, anon: true},
		{privacy: []string{"idx"}},
	} {
		req := inviteWith(map[string][]string{"P-Asserted-Identity": tc.pai, "Privacy": tc.privacy})
		user, ok := assertedUser(req)
		if user != tc.user || ok != tc.ok {
			t.Errorf("PAI %q: %q %v, want %q %v", tc.pai, user, ok, tc.user, tc.ok)
		}
		if got := privacyID(req); got != tc.anon {
			t.Errorf("Privacy %q: %v, want %v", tc.privacy, got, tc.anon)
		}
	}
}

// FuzzAssertedUser: any P-Asserted-Identity or Privacy value a peer sends
// is read without a panic, and a user found is never empty.
func FuzzAssertedUser(f *testing.F) {
	for _, s := range []string{"<sip:1@a>", "<tel:+1>", `"x" <sips:u@h;p>`, "<", "<tel:;>", "id;header", ","} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		req := inviteWith(map[string][]string{"P-Asserted-Identity": {v}, "Privacy": {v}})
		if u, ok := assertedUser(req); ok && u == "" {
			t.Errorf("%q: empty user found", v)
		}
		_ = privacyID(req)
	})
}

// TestGrantedExpires: the lifetime of a 2xx to REGISTER is our Contact's
// expires parameter, else the Expires header, else what was asked.
func TestGrantedExpires(t *testing.T) {
	ours := sip.Uri{Scheme: "sip", User: "trunk1", Host: "192.0.2.1", Port: 5060}
	for _, tc := range []struct {
		name    string
		headers []sip.Header
		want    int
	}{
		{"our contact's expires", []sip.Header{
			sip.NewHeader("Contact", "<sip:other@192.0.2.9:5060>;expires=10"),
			sip.NewHeader("Contact", "<sip:trunk1@192.0.2.1:5060>;expires=120"),
			sip.NewHeader("Expires", "300")}, 120},
		{"Expires header", []sip.Header{sip.NewHeader("Contact", "<sip:other@192.0.2.9>;expires=10"), sip.NewHeader("Expires", "300")}, 300},
		{"asked", nil, 3600},
		{"garbage expires", []sip.Header{sip.NewHeader("Contact", "<sip:trunk1@192.0.2.1:5060>;expires=soon")}, 3600},
	} {
		res := sip.NewResponse(200, "OK")
		for _, h := range tc.headers {
			if h.Name() == "Contact" {
				ct := sip.ContactHeader{Params: sip.NewParams()}
				if _, err := sip.ParseAddressValue(h.Value(), &ct.Address, &ct.Params); err != nil {
					t.Fatal(err)
				}
				res.AppendHeader(&ct)
				continue
			}
			res.AppendHeader(h)
		}
		if got := sipreg.GrantedExpires(res, ours, 3600e9); int(got.Seconds()) != tc.want {
			t.Errorf("%s: %s, want %ds", tc.name, got, tc.want)
		}
	}
}
