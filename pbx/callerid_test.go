package pbx_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/testua"
	"pbxlab/pbx/config"
)

// callerIDConfig: the demo plus subscriber 2000 with clir; route "t"
// (prefix 8) to the peer "trusted" at 10.0.0.201 (caller_id.pai,
// from_user 861012345600), route "p" (prefix 7) to "plain" at 10.0.0.202.
func callerIDConfig() *config.Config {
	cfg := config.Demo()
	cfg.ExplicitSubscribers = append(cfg.ExplicitSubscribers, config.Subscriber{Number: "2000", Password: "pw2000", CLIR: true})
	cfg.Peers = []config.Peer{
		{Name: "trusted", Host: "10.0.0.201", CallerID: config.CallerID{PAI: true, FromUser: "861012345600"}},
		{Name: "plain", Host: "10.0.0.202"},
	}
	cfg.Routes = []config.Route{{Name: "t", Peers: []string{"trusted"}}, {Name: "p", Peers: []string{"plain"}}}
	cfg.Numbering.Entries = []config.NumberingEntry{
		{Prefix: "8", Min: 5, Max: 21, Kind: "route", Target: "t"},
		{Prefix: "7", Min: 5, Max: 21, Kind: "route", Target: "p"},
	}
	return cfg
}

// authedInvite sends req as user (digest with password after the PBX's
// 407) and returns the authenticated transaction.
func authedInvite(ctx context.Context, t *testing.T, u *testua.UA, req *sip.Request, user, password string) *testua.ClientTx {
	t.Helper()
	res, err := u.Do(ctx, req)
	if err != nil || res.StatusCode != 407 {
		t.Fatalf("first INVITE: %v %v, want 407", res, err)
	}
	authed, err := testua.Authorize(req, res, user, password)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := u.Start(authed)
	if err != nil {
		t.Fatal(err)
	}
	return tx
}

// TestVirtualTrunkCallerID: what a carrier sees of the caller of a call
// out through it. A peer with caller_id.pai gets P-Asserted-Identity with
// the caller's own number (never one the phone asserted itself) and From
// caller_id.from_user; a caller restricting presentation (Privacy: id, or
// subscribers[].clir) is "Anonymous" <sip:anonymous@anonymous.invalid>
// with Privacy: id to every peer, and only the trusted peer still learns
// the number (RFC 3323, RFC 3325).
func TestVirtualTrunkCallerID(t *testing.T) {
	for _, tc := range []struct {
		name        string
		caller      string
		dial        string
		privacy     string
		ownPAI      string // a P-Asserted-Identity the phone sends itself
		wantFrom    string // From user
		wantAnon    bool   // From "Anonymous" <sip:anonymous@anonymous.invalid>
		wantPAI     string // "" none
		wantPrivacy bool
	}{
		{"trusted peer", "1000", "80123456789", "", "", "861012345600", false, "<sip:1000@10.0.0.201>", false},
		{"trusted peer, Privacy: id", "1000", "80123456789", "id", "", "anonymous", true, "<sip:1000@10.0.0.201>", true},
		{"plain peer", "1000", "70123456789", "", "", "1000", false, "", false},
		{"plain peer, Privacy: id", "1000", "70123456789", "id", "", "anonymous", true, "", true},
		{"clir subscriber, trusted peer", "2000", "80123456789", "", "", "anonymous", true, "<sip:2000@10.0.0.201>", true},
		{"clir subscriber, plain peer", "2000", "70123456789", "", "", "anonymous", true, "", true},
		{"a phone's own PAI is not believed", "1000", "80123456789", "", "<sip:9999@evil.example>", "861012345600", false, "<sip:1000@10.0.0.201>", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx, cancel := context.WithTimeout(t.Context(), time.Hour)
				defer cancel()
				h := startVirtual(t, callerIDConfig())
				carriers := []*testua.UA{virtualCarrier(t, h, "10.0.0.201:5060"), virtualCarrier(t, h, "10.0.0.202:5060")}
				u := virtualUA(t, h, tc.caller)
				req := u.NewInvite(tc.dial, u.Offer())
				if tc.privacy != "" {
					req.AppendHeader(sip.NewHeader("Privacy", tc.privacy))
				}
				if tc.ownPAI != "" {
					req.AppendHeader(sip.NewHeader("P-Asserted-Identity", tc.ownPAI))
				}
				password := "demo" + tc.caller
				if tc.caller == "2000" {
					password = "pw2000"
				}
				tx := authedInvite(ctx, t, u, req, tc.caller, password)
				carrier := carriers[0]
				if tc.dial[0] == '7' {
					carrier = carriers[1]
				}
				in := nthInvite(ctx, t, carrier, 1)
				got := in.Request()
				from := got.From()
				if from.Address.User != tc.wantFrom {
					t.Errorf("From %s, want user %s", from.Value(), tc.wantFrom)
				}
				if anon := from.DisplayName == "Anonymous" && from.Address.Host == "anonymous.invalid"; anon != tc.wantAnon {
					t.Errorf("From %s: anonymous %v, want %v", from.Value(), anon, tc.wantAnon)
				}
				pai := ""
				if h := got.GetHeader("P-Asserted-Identity"); h != nil {
					pai = h.Value()
				}
				if pai != tc.wantPAI || len(got.GetHeaders("P-Asserted-Identity")) > 1 {
					t.Errorf("P-Asserted-Identity %q (%d), want %q", pai, len(got.GetHeaders("P-Asserted-Identity")), tc.wantPAI)
				}
				if p := got.GetHeader("Privacy"); (p != nil && p.Value() == "id") != tc.wantPrivacy {
					t.Errorf("Privacy %v, want id: %v", p, tc.wantPrivacy)
				}
				if ct := got.Contact(); ct != nil && tc.wantAnon && ct.Address.User != "anonymous" {
					t.Errorf("Contact %s gives the caller away", ct.Value())
				}
				if err := in.Reply(486, "Busy Here"); err != nil {
					t.Fatal(err)
				}
				if _, err := tx.Final(ctx); err != nil {
					t.Fatal(err)
				}
			})
		})
	}
}
