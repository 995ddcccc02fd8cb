package sdpneg

import (
	"errors"
	"reflect"
	"testing"
)

func addSeeds(f *testing.F) {
	f.Add(baresipOffer)
	f.Add(sippOffer)
	f.Add(ipv6Offer)
	f.Add([]byte("v=0\no=x 1 2 IN IP4 10.0.0.1\ns=-\nc=IN IP4 0.0.0.0\nt=0 0\na=sendonly\nm=audio 4000 RTP/AVP 8\na=ptime:30\n"))
	f.Add([]byte("v=0\r\n"))
	f.Add([]byte{})
}

// FuzzParse checks Parse never panics, fails only with a package sentinel,
// and that anything it accepts survives Marshal and re-Parse.
func FuzzParse(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := Parse(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrNoAudio) && !errors.Is(err, ErrNoConnection) {
				t.Fatalf("Parse error without sentinel: %v", err)
			}
			return
		}
		if len(s.Codecs) == 0 {
			return
		}
		out, err := Marshal(s)
		if err != nil {
			t.Fatalf("Marshal(Parse(b)): %v", err)
		}
		again, err := Parse(out)
		if err != nil {
			t.Fatalf("Parse(Marshal): %v\n%q", err, out)
		}
		if again.Addr != s.Addr || !reflect.DeepEqual(again.Codecs, s.Codecs) ||
			again.Direction != s.Direction || again.PTime != s.PTime {
			t.Fatalf("round trip changed session:\n%+v\n%+v", s, again)
		}
	})
}

// FuzzAcceptable checks Acceptable never panics and agrees with Answer.
func FuzzAcceptable(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		err := Acceptable(b, DefaultCodecs())
		s, perr := Parse(b)
		if perr != nil {
			if err == nil {
				t.Fatal("Acceptable accepted what Parse refused")
			}
			return
		}
		_, neg, aerr := Answer(s, s.Addr, DefaultCodecs(), 1)
		if (err == nil) != (aerr == nil) {
			t.Fatalf("Acceptable = %v but Answer = %v", err, aerr)
		}
		if aerr == nil && !hasAudio(neg.Codecs) {
			t.Fatal("answer without an audio codec")
		}
	})
}
