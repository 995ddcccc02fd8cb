package pbx

import (
	"testing"

	"github.com/emiago/sipgo/sip"

	"pbxlab/pbx/config"
	"pbxlab/pbx/internal/directory"
)

// TestOwnSubscriber: which 3xx contacts name one of the PBX's own numbers
// (rung through its bindings) rather than a foreign address.
func TestOwnSubscriber(t *testing.T) {
	listen := func(s string) *listener {
		la, err := config.ParseListenAddr(s)
		if err != nil {
			t.Fatal(err)
		}
		return &listener{addr: la}
	}
	cfg := config.Defaults()
	dir, err := directory.New(t.Context(), []config.Subscriber{{Number: "1003"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{
		cfg:       cfg,
		dir:       dir,
		listeners: []*listener{listen("udp:127.0.0.1:5070"), listen("tcp:0.0.0.0:5071")},
	}
	for _, tc := range []struct {
		uri  string
		want bool
	}{
		{"sip:1003@127.0.0.1:5070", true},
		{"sip:1003@127.0.0.1", true},                    // no port: any listener of that address
		{"sip:1003@127.0.0.1:5071;transport=tcp", true}, // 0.0.0.0 listener: a local address
		{"sip:1003@" + config.DefaultRealmName, true},   // the realm's name
		{"sip:1003@PBXLAB", true},                       // host names are case-insensitive
		{"sip:1003@127.0.0.1:5099", false},              // another port: someone else
		{"sip:1003@192.0.2.7:5070", false},              // a foreign address
		{"sip:1003@example.com", false},
		{"sip:1009@127.0.0.1:5070", false}, // not a subscriber
		{"sip:127.0.0.1:5070", false},      // no user
	} {
		var u sip.Uri
		if err := sip.ParseUri(tc.uri, &u); err != nil {
			t.Fatalf("parse %s: %v", tc.uri, err)
		}
		number, got := s.ownSubscriber(u)
		if got != tc.want || (got && number != "1003") {
			t.Errorf("ownSubscriber(%s) = %q, %v; want %v", tc.uri, number, got, tc.want)
		}
	}
}
