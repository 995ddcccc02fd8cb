package pbx_test

import (
	"context"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/testua"
	"pbxlab/pbx/config"
	"pbxlab/pbx/pbxtest/vnet"
)

// inboundConfig is the demo (no trusted_peers: every phone authenticates)
// with the carrier at 10.0.0.201 as a trunk: it registers with contact
// user trunk1, its calls are analysed in context from-carrier at device
// carrier. DID 861012345678 is an entry of that context for 1000; DIDs
// 86101234560x become 100x by an originating-device rule of carrier (a
// device inside the LS domain, so its rules apply before analysis);
// 9... routes out to the carrier (route "out").
func inboundConfig(pai bool) *config.Config {
	cfg := config.Demo()
	cfg.Peers = []config.Peer{{Name: "carrier", Host: "10.0.0.201", Username: "pbx01", Password: "s3cret",
		Register: &config.TrunkRegister{ContactUser: "trunk1"}, Context: "from-carrier", Device: "carrier",
		CallerID: config.CallerID{PAI: pai}}}
	cfg.Routes = []config.Route{{Name: "out", Peers: []string{"carrier"}}}
	replace := "100"
	cfg.Numbering.Devices = []config.NumberingDevice{{Name: "carrier", Kind: "peer", InDomain: true}}
	cfg.Numbering.Entries = []config.NumberingEntry{
		{Context: "from-carrier", Prefix: "861012345678", Min: 12, Max: 12, Kind: "subscriber", Target: "1000"},
		{Prefix: "9", Min: 5, Max: 21, Kind: "route", Target: "out"},
	}
	cfg.Numbering.Bindings = []config.NumberingBinding{{Scope: "originating-device", Key: "carrier",
		Rules: []config.NumberingRule{{Number: "called", Prefix: "86101234560", Min: 12, Max: 12, Replace: &replace}}}}
	return cfg
}

// registeredPhone is a test UA for number that registered with the PBX
// (password demo<number>); it rings but does not answer.
func registeredPhone(ctx context.Context, t *testing.T, h *vnet.Harness, number string) *testua.UA {
	t.Helper()
	u := virtualUA(t, h, number)
	res, err := u.Register(ctx, testua.Registration{Domain: h.Addr.Addr().String(), Password: "demo" + number, Expires: 3600})
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("register %s: %v %v", number, res, err)
	}
	return u
}

// carrierInvite is an INVITE from the carrier's UA: Request-URI user ruri,
// To user to, From user from.
func carrierInvite(c *testua.UA, ruri, to, from string) *sip.Request {
	req := c.NewInvite(ruri, c.Offer())
	req.To().Address.User = to
	req.From().Address.User = from
	return req
}

// TestVirtualTrunkInboundDID: a call from the carrier to the PBX's
// registered contact (trunk1) reaches the subscriber its DID (the To user)
// is for, by the trunk's context; a DID in the Request-URI is analysed
// the same, an originating-device rule of the trunk's device rewriting
// it to an extension; the same INVITE from a source that is not the
// carrier's (another address, or the carrier's address and another port)
// is challenged (407) and rings nobody; a trunk's call to a
// number that routes out is refused (403: no transit) and never reaches
// a carrier.
func TestVirtualTrunkInboundDID(t *testing.T) {
	for _, tc := range []struct {
		name           string
		fromCarrier    bool
		ruri, to       string
		wantCode       int    // final status the caller gets
		wantPhone      string // the phone that rings ("": none)
		wantCDRDialled string
	}{
		{"DID in To at the registered contact", true, "trunk1", "861012345678", 486, "1000", "861012345678"},
		{"DID in the Request-URI, device rule", true, "861012345601", "861012345601", 486, "1001", "861012345601"},
		{"registered contact from elsewhere", false, "trunk1", "861012345678", 407, "", ""},
		{"the carrier's address, another port", false, "trunk1", "861012345678", 407, "", ""},
		{"a trunk's call does not go out again", true, "trunk1", "90123456789", 403, "", "90123456789"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx, cancel := context.WithTimeout(t.Context(), time.Hour)
				defer cancel()
				h := startVirtual(t, inboundConfig(false))
				carrier := startCarrier(ctx, t, h, &fakeRegistrar{user: "pbx01", password: "s3cret", grant: 3600})
				phones := map[string]*testua.UA{"1000": registeredPhone(ctx, t, h, "1000"), "1001": registeredPhone(ctx, t, h, "1001")}
				caller := carrier
				switch {
				case strings.Contains(tc.name, "another port"):
					caller = virtualCarrier(t, h, "10.0.0.201:5070")
				case !tc.fromCarrier:
					caller = virtualUA(t, h, "spoofer")
				}
				tx, err := caller.Start(carrierInvite(caller, tc.ruri, tc.to, "02012345678"))
				if err != nil {
					t.Fatal(err)
				}
				if tc.wantPhone != "" {
					in, err := phones[tc.wantPhone].AwaitIncoming(ctx, testua.Method(sip.INVITE))
					if err != nil {
						t.Fatalf("no INVITE at %s: %v", tc.wantPhone, err)
					}
					if got := in.Request().From().Address.User; got != "02012345678" {
						t.Errorf("phone sees caller %q, want the carrier's From 02012345678", got)
					}
					if err := in.Reply(486, "Busy Here"); err != nil {
						t.Fatal(err)
					}
				}
				res, err := tx.Final(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if res.StatusCode != tc.wantCode {
					t.Errorf("caller got %d %s, want %d", res.StatusCode, res.Reason, tc.wantCode)
				}
				synctest.Wait()
				for n, p := range phones {
					if k := len(p.Incoming(testua.Method(sip.INVITE))); n != tc.wantPhone && k > 0 {
						t.Errorf("%s rang (%d INVITEs)", n, k)
					}
				}
				if k := len(carrier.Incoming(testua.Method(sip.INVITE))); k > 0 {
					t.Errorf("the carrier got %d INVITEs back", k)
				}
				if tc.wantCDRDialled == "" {
					return
				}
				cdrs := cdrsOf(t, h)
				if len(cdrs) != 1 || cdrs[0].Dialled != tc.wantCDRDialled || cdrs[0].Caller != "02012345678" {
					t.Errorf("CDRs %+v, want one dialled %s from 02012345678", cdrs, tc.wantCDRDialled)
				}
			})
		})
	}
}

// TestVirtualTrunkInboundPrivacy: a carrier's call with Privacy: id and
// an anonymous From shows the phone "Anonymous"
// <sip:anonymous@anonymous.invalid>; the carrier's P-Asserted-Identity
// names the caller in the CDR when the trunk is in the trust domain
// (caller_id.pai) and is ignored otherwise; the phone never gets it.
func TestVirtualTrunkInboundPrivacy(t *testing.T) {
	for _, tc := range []struct {
		name       string
		pai        bool
		wantCaller string
	}{
		{"trusted PAI", true, "02012345678"},
		{"untrusted PAI", false, "anonymous"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx, cancel := context.WithTimeout(t.Context(), time.Hour)
				defer cancel()
				h := startVirtual(t, inboundConfig(tc.pai))
				carrier := startCarrier(ctx, t, h, nil)
				phone := registeredPhone(ctx, t, h, "1000")
				req := carrierInvite(carrier, "trunk1", "861012345678", "anonymous")
				req.From().DisplayName = "Anonymous"
				req.From().Address.Host = "anonymous.invalid"
				req.AppendHeader(sip.NewHeader("Privacy", "id"))
				req.AppendHeader(sip.NewHeader("P-Asserted-Identity", "<sip:02012345678@10.0.0.201>"))
				tx, err := carrier.Start(req)
				if err != nil {
					t.Fatal(err)
				}
				in, err := phone.AwaitIncoming(ctx, testua.Method(sip.INVITE))
				if err != nil {
					t.Fatal(err)
				}
				from := in.Request().From()
				if from.DisplayName != "Anonymous" || from.Address.User != "anonymous" || from.Address.Host != "anonymous.invalid" {
					t.Errorf("phone sees From %s, want \"Anonymous\" <sip:anonymous@anonymous.invalid>", from.Value())
				}
				if h := in.Request().GetHeader("P-Asserted-Identity"); h != nil {
					t.Errorf("the phone got P-Asserted-Identity %s", h.Value())
				}
				if err := in.Reply(486, "Busy Here"); err != nil {
					t.Fatal(err)
				}
				if _, err := tx.Final(ctx); err != nil {
					t.Fatal(err)
				}
				synctest.Wait()
				if cdrs := cdrsOf(t, h); len(cdrs) != 1 || cdrs[0].Caller != tc.wantCaller {
					t.Errorf("CDRs %+v, want the caller %s", cdrs, tc.wantCaller)
				}
			})
		})
	}
}
