package sdpneg

import (
	"bytes"
	"math"
	"net/netip"
	"testing"
)

func TestOffererMatchesOffer(t *testing.T) {
	locals := []netip.AddrPort{
		netip.MustParseAddrPort("127.0.0.1:9"),
		netip.MustParseAddrPort("10.1.2.3:40000"),
		netip.MustParseAddrPort("[2001:db8::1]:5004"),
	}
	codecSets := [][]Codec{DefaultCodecs(), {PCMA()}, {PCMU(), TelephoneEvent()}}
	ids := []uint64{0, 1, 42, offerMark, 1<<62 - 2, math.MaxUint64}
	for _, local := range locals {
		for _, codecs := range codecSets {
			o, err := NewOfferer(local, codecs)
			if err != nil {
				t.Fatalf("NewOfferer(%s, %v): %v", local, codecs, err)
			}
			if !o.For(local, codecs) {
				t.Errorf("For(%s, %v) = false for its own address and codecs", local, codecs)
			}
			for _, id := range ids {
				want, err := Offer(local, codecs, id)
				if err != nil {
					t.Fatal(err)
				}
				if got := o.Offer(id); !bytes.Equal(got, want) {
					t.Errorf("Offerer(%s, %v).Offer(%d) =\n%s\nwant\n%s", local, codecs, id, got, want)
				}
			}
		}
	}
	o, err := NewOfferer(locals[0], DefaultCodecs())
	if err != nil {
		t.Fatal(err)
	}
	if o.For(locals[1], DefaultCodecs()) || o.For(locals[0], []Codec{PCMU()}) {
		t.Error("For true for another address or codec list")
	}
}

func TestOffererRejectsWhatOfferRejects(t *testing.T) {
	if _, err := NewOfferer(netip.MustParseAddrPort("127.0.0.1:9"), nil); err == nil {
		t.Error("NewOfferer without codecs: no error")
	}
}

// BenchmarkOffer is the offer of a signalling-only call: marshalled each
// time (Offer) against written into the template (Offerer).
func BenchmarkOffer(b *testing.B) {
	local := netip.MustParseAddrPort("127.0.0.1:9")
	b.Run("marshal", func(b *testing.B) {
		b.ReportAllocs()
		for i := uint64(0); b.Loop(); i++ {
			if _, err := Offer(local, DefaultCodecs(), i<<40); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("offerer", func(b *testing.B) {
		b.ReportAllocs()
		o, err := NewOfferer(local, DefaultCodecs())
		if err != nil {
			b.Fatal(err)
		}
		for i := uint64(0); b.Loop(); i++ {
			_ = o.Offer(i << 40)
		}
	})
}
