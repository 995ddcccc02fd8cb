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

func freeUDPPort(t *testing.T) int {
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	return pc.LocalAddr().(*net.UDPAddr).Port
}

// TestFailureResponses covers the call outcomes decided by the PBX itself.
func TestFailureResponses(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	port := freeUDPPort(t)
	in := startPBX(t, func(c *config.Config) {
		c.SIP.Listen = []string{fmt.Sprintf("udp:127.0.0.1:%d", port)}
		c.Call.Redirect = config.RedirectTemporary // the global redirect-server switch
		// 2000 is a static contact pointing back at the PBX itself: a loop.
		c.ExplicitSubscribers = []config.Subscriber{
			{Number: "2000", Contacts: []string{fmt.Sprintf("sip:2000@127.0.0.1:%d", port)}, Redirect: config.RedirectOff},
			{Number: "2001", Password: "pw2001", Redirect: config.RedirectOff},
		}
	}, pbxtest.Options{KeepListen: true})
	ps := registered(ctx, t, in.Target(), phone.Config{}, "1000", "1001")
	for _, tc := range []struct {
		name, number string
		want         int
	}{
		{"unknown number", "1999999", 404},
		{"not registered", "2001", 480},
		{"loop through a static contact", "2000", 482},
		{"redirect server role (global 302)", "1001", 302},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ps["1000"].Dial(ctx, tc.number)
			if err != nil {
				t.Fatal(err)
			}
			end, err := c.Wait(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if end.Code != tc.want {
				t.Fatalf("call to %s ended %+v, want %d", tc.number, end, tc.want)
			}
		})
	}
	recs := waitCDRs(ctx, t, in, func(r []pbx.CDR) bool {
		for _, x := range r {
			if x.Disposition == pbx.InProgress {
				return false
			}
		}
		return len(r) == 4
	})
	want := map[string]pbx.Disposition{"1999999": pbx.Failed, "2001": pbx.Failed, "2000": pbx.Failed, "1001": pbx.Redirected}
	for _, r := range recs {
		if r.Disposition != want[r.Dialled] {
			t.Errorf("CDR for %s: %s %d, want %s", r.Dialled, r.Disposition, r.Cause, want[r.Dialled])
		}
	}
}
