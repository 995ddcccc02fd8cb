package registrar

import (
	"net/netip"
	"testing"
)

// TestDropFlow: when the TCP connection a phone registered over closes,
// the bindings registered over it go (and only those): another phone's
// connection, the same phone's UDP binding and static bindings stay.
func TestDropFlow(t *testing.T) {
	ctx := testCtx(t)
	r, _ := newReg(t, nil, false, WithStatic("3000", "sip:3000@192.0.2.10:5070;transport=tcp"))
	for _, g := range []reg{
		{user: "1000", callID: "a", contacts: []string{"<sip:1000@192.168.1.20;transport=tcp>"}, source: "203.0.113.9:40123", tp: "TCP"},
		{user: "1000", callID: "b", contacts: []string{"sip:1000@192.168.1.20:5062"}, source: "203.0.113.9:5062", tp: "UDP"},
		{user: "2000", callID: "c", contacts: []string{"<sip:2000@192.168.1.21;transport=tcp>"}, source: "203.0.113.9:40124", tp: "TCP"},
	} {
		g.expires = "600"
		if res := r.Handle(ctx, g.build(t)); res.StatusCode != 200 {
			t.Fatalf("REGISTER %+v: %d", g, res.StatusCode)
		}
	}
	dropped, err := r.DropFlow(ctx, "tcp", netip.MustParseAddrPort("[::ffff:203.0.113.9]:40123"))
	if err != nil || len(dropped) != 1 || dropped[0].AOR != "1000" || dropped[0].Contact != "sip:1000@192.168.1.20;transport=tcp" {
		t.Fatalf("DropFlow = %+v, %v; want 1000's TCP binding", dropped, err)
	}
	left := map[string][]string{}
	for _, aor := range []string{"1000", "2000", "3000"} {
		bs, err := r.Lookup(ctx, aor)
		if err != nil {
			t.Fatal(err)
		}
		left[aor] = describe(bs)
	}
	if len(left["1000"]) != 1 || len(left["2000"]) != 1 || len(left["3000"]) != 1 {
		t.Fatalf("bindings left %v: want 1000's UDP one, 2000's and the static 3000", left)
	}
	if dropped, err := r.DropFlow(ctx, "tcp", netip.MustParseAddrPort("203.0.113.9:40123")); err != nil || len(dropped) != 0 {
		t.Fatalf("second DropFlow = %+v, %v; want nothing", dropped, err)
	}
	if dropped, err := r.DropFlow(ctx, "udp", netip.MustParseAddrPort("203.0.113.9:5062")); err != nil || len(dropped) != 0 {
		t.Fatalf("DropFlow of UDP = %+v, %v; UDP has no connection to lose", dropped, err)
	}
	// several connections at once
	dropped, err = r.DropFlow(ctx, "tcp", netip.MustParseAddrPort("203.0.113.9:40999"), netip.MustParseAddrPort("203.0.113.9:40124"))
	if err != nil || len(dropped) != 1 || dropped[0].AOR != "2000" {
		t.Fatalf("DropFlow of two connections = %+v, %v; want 2000's binding", dropped, err)
	}
}

func TestOverFlow(t *testing.T) {
	src := netip.MustParseAddrPort("203.0.113.9:40123")
	for _, tc := range []struct {
		b    Binding
		want bool
	}{
		{Binding{Transport: "tcp", Received: src}, true},
		{Binding{Transport: "TLS", Received: src}, true},
		{Binding{Transport: "udp", Received: src}, false},
		{Binding{Transport: "tcp"}, false},
		{Binding{Transport: "tcp", Received: src, Static: true}, false},
	} {
		if got := tc.b.OverFlow(); got != tc.want {
			t.Errorf("%+v: OverFlow %v, want %v", tc.b, got, tc.want)
		}
	}
}
