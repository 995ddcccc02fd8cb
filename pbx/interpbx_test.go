package pbx_test

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"pbxlab/pbx"
	"pbxlab/pbx/config"
	"pbxlab/pbx/pbxtest"
	"pbxlab/sim/phone"
)

// TestTwoPBXsTrunked: two pbxlab instances trunked to each other (issue 10's
// inter-PBX case, in-process). East (127.0.0.2, subscribers 1000-1099)
// sends 2xxx numbers out through its route to West; West (127.0.0.3,
// subscribers 2000-2099) trusts East by address, analyses the number East
// sends like any other, and rings its subscriber; and back the other way.
// Audio is verified both ways across the two anchors.
func TestTwoPBXsTrunked(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	portE, portW := freeUDPPortOn(t, "127.0.0.2"), freeUDPPortOn(t, "127.0.0.3")
	trunk := func(c *config.Config, self, other string, otherPort int, first, last, prefix string) {
		c.SIP.Listen = []string{fmt.Sprintf("udp:%s:%d", self, map[string]int{"127.0.0.2": portE, "127.0.0.3": portW}[self])}
		c.SubscriberRanges = []config.SubscriberRange{{From: first, To: last, Password: "demo{n}"}}
		c.TrustedPeers = []config.TrustedPeer{{Name: "other-pbx", Address: other + "/32"}}
		c.Peers = []config.Peer{{Name: "other-pbx", Host: other, Port: otherPort}}
		c.Routes = []config.Route{{Name: "to-other", Peers: []string{"other-pbx"}}}
		c.Numbering.Entries = []config.NumberingEntry{{Prefix: prefix, Min: 4, Max: 4, Kind: "route", Target: "to-other"}}
	}
	east := startPBX(t, func(c *config.Config) { trunk(c, "127.0.0.2", "127.0.0.3", portW, "1000", "1099", "2") }, pbxtest.Options{KeepListen: true})
	west := startPBX(t, func(c *config.Config) { trunk(c, "127.0.0.3", "127.0.0.2", portE, "2000", "2099", "1") }, pbxtest.Options{KeepListen: true})
	pe := registered(ctx, t, east.Target(), phone.Config{}, "1000")
	pw := registered(ctx, t, west.Target(), phone.Config{}, "2000")

	for _, tc := range []struct {
		name         string
		from, to     *testPhone
		out, in      *pbxtest.Instance
		caller, dial string
	}{
		{"east to west", pe["1000"], pw["2000"], east, west, "1000", "2000"},
		{"west to east", pw["2000"], pe["1000"], west, east, "2000", "1000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, callee := talk(ctx, t, tc.from, tc.to)
			if got := callee.Remote(); got != tc.caller {
				t.Errorf("the callee sees the call from %q, want %q", got, tc.caller)
			}
			if err := c.Hangup(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := callee.Wait(ctx); err != nil {
				t.Fatal(err)
			}
			// each PBX keeps its own record of the call: out through the
			// route on one, in from the trusted peer on the other
			for _, in := range []*pbxtest.Instance{tc.out, tc.in} {
				waitCDRs(ctx, t, in, func(rs []pbx.CDR) bool {
					for _, r := range rs {
						if r.Caller == tc.caller && r.Dialled == tc.dial && r.Disposition == pbx.Answered {
							return true
						}
					}
					return false
				})
			}
		})
	}
}

// freeUDPPortOn is a UDP port free on ip (a 127/8 address: Linux answers
// on all of them).
func freeUDPPortOn(t *testing.T, ip string) int {
	t.Helper()
	pc, err := net.ListenPacket("udp4", ip+":0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	return pc.LocalAddr().(*net.UDPAddr).Port
}
