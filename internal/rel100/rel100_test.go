package rel100

import (
	"errors"
	"testing"

	"github.com/emiago/sipgo/sip"
)

func TestParseRAck(t *testing.T) {
	good := map[string]RAck{
		"1 314159 INVITE":     {1, 314159, sip.INVITE},
		"  776656 1  invite ": {776656, 1, sip.INVITE},
		"2147483647 0 INVITE": {2147483647, 0, sip.INVITE},
	}
	for in, want := range good {
		got, err := ParseRAck(in)
		if err != nil || got != want {
			t.Errorf("ParseRAck(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "1", "1 2", "0 1 INVITE", "1 2 INVITE x", "-1 2 INVITE", "1 2147483648 INVITE", "a 2 INVITE", "1 2 INV;TE", "99999999999 1 INVITE"} {
		if _, err := ParseRAck(in); !errors.Is(err, ErrBadValue) {
			t.Errorf("ParseRAck(%q) = %v, want ErrBadValue", in, err)
		}
	}
}

func TestParseRSeq(t *testing.T) {
	if n, err := ParseRSeq(" 988789 "); err != nil || n != 988789 {
		t.Errorf("ParseRSeq = %d, %v", n, err)
	}
	for _, in := range []string{"", "0", "x", "1 2", "4294967296", "2147483648"} {
		if _, err := ParseRSeq(in); !errors.Is(err, ErrBadValue) {
			t.Errorf("ParseRSeq(%q) = %v, want ErrBadValue", in, err)
		}
	}
}

func TestReliable(t *testing.T) {
	res := sip.NewResponse(183, "Session Progress")
	res.AppendHeader(&sip.CSeqHeader{SeqNo: 7, MethodName: sip.INVITE})
	if _, ok := Reliable(res); ok {
		t.Fatal("183 without Require is not reliable")
	}
	res.AppendHeader(sip.NewHeader("Require", "timer, 100REL"))
	if _, ok := Reliable(res); ok {
		t.Fatal("183 without RSeq is not reliable")
	}
	res.AppendHeader(sip.NewHeader("RSeq", "42"))
	if n, ok := Reliable(res); !ok || n != 42 {
		t.Fatalf("Reliable = %d, %v", n, ok)
	}
	req := sip.NewRequest(sip.PRACK, sip.Uri{Scheme: "sip", Host: "x"})
	SetRAck(req, res, 42)
	if r, err := RAckOf(req); err != nil || r != (RAck{42, 7, sip.INVITE}) {
		t.Fatalf("RAckOf = %v, %v", r, err)
	}
}

// FuzzParseRAck: no input panics, and what parses prints back to itself.
func FuzzParseRAck(f *testing.F) {
	for _, s := range []string{"1 314159 INVITE", "0 0 X", "  9 9 invite", "4294967295 1 INVITE", "1\t2\tINVITE"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRAck(s)
		if err != nil {
			return
		}
		again, err := ParseRAck(r.String())
		if err != nil || again != r {
			t.Fatalf("%q → %v → %q → %v, %v", s, r, r.String(), again, err)
		}
		if r.RSeq == 0 || r.RSeq > maxSeq || r.CSeq > maxSeq {
			t.Fatalf("%q: out of range %v", s, r)
		}
	})
}

// FuzzParseRSeq: no input panics; a parsed value is in 1..2**31-1.
func FuzzParseRSeq(f *testing.F) {
	for _, s := range []string{"1", "2147483647", "0", " 7 ", "+1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseRSeq(s)
		if err == nil && (n == 0 || n > maxSeq) {
			t.Fatalf("%q: %d out of range", s, n)
		}
	})
}
