package config

import (
	"reflect"
	"testing"
	"time"
)

func TestPortRangePairs(t *testing.T) {
	tests := []struct {
		r    PortRange
		want int
	}{
		{PortRange{20000, 29999}, 5000},
		{PortRange{20000, 20001}, 1},
		{PortRange{20000, 20002}, 1},
		{PortRange{20001, 20004}, 1},
		{PortRange{20001, 20005}, 2},
		{PortRange{20001, 20002}, 0},
		{PortRange{20000, 20000}, 0},
	}
	for _, tt := range tests {
		if got := tt.r.Pairs(); got != tt.want {
			t.Errorf("%s.Pairs() = %d, want %d", tt.r, got, tt.want)
		}
	}
}

func TestParseMedia(t *testing.T) {
	c, err := Parse("pbx.yaml", []byte(`
media:
  enabled: false
  anchor: direct
  rtp_ports: {min: 40000, max: 40099}
  port_drain: 2s
  timeout: 0s
  advertise: route
subscribers:
  - {number: "1", password: x, media_anchor: relay}
  - {number: "2", password: y}
`))
	if err != nil {
		t.Fatal(err)
	}
	want := Media{Enabled: false, Anchor: AnchorDirect, RTPPorts: PortRange{40000, 40099}, PortDrain: 2 * time.Second, TonePlan: "cn", Advertise: MediaAdvertiseRoute}
	if !reflect.DeepEqual(c.Media, want) {
		t.Fatalf("media = %+v, want %+v", c.Media, want)
	}
	subs := c.Subscribers()
	if got := c.AnchorFor(subs[0]); got != AnchorRelay {
		t.Errorf("AnchorFor(1) = %q, want relay (its own)", got)
	}
	if got := c.AnchorFor(subs[1]); got != AnchorDirect {
		t.Errorf("AnchorFor(2) = %q, want direct (media.anchor)", got)
	}
	d := Defaults().Media
	if !d.Enabled || d.Anchor != AnchorRelay || d.RTPPorts != (PortRange{20000, 29999}) || d.PortDrain != 10*time.Second || d.Timeout != time.Minute || d.Advertise != "" {
		t.Errorf("default media = %+v", d)
	}
	out, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	again, err := Parse("printed.yaml", out)
	if err != nil {
		t.Fatalf("parse printed config: %v\n%s", err, out)
	}
	if !reflect.DeepEqual(again.Media, c.Media) || again.Subscribers()[0].MediaAnchor != AnchorRelay {
		t.Errorf("printed config does not round-trip: %+v", again.Media)
	}
}
