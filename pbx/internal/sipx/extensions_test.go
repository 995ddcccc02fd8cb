package sipx

import "testing"

// TestValidateRequireTimer: Require: timer (RFC 4028, which the PBX
// implements) passes; an extension beside it that the PBX lacks is still
// refused with 420 naming only that one.
func TestValidateRequireTimer(t *testing.T) {
	inv := "INVITE sip:1001@h SIP/2.0\n" + base + "CSeq: 1 INVITE\nContent-Length: 0\n"
	if err := Validate(parse(t, inv+"Require: Timer\n\n")); err != nil {
		t.Fatalf("Require: timer refused: %v", err)
	}
	err := Validate(parse(t, inv+"Require: timer, foo\n\n"))
	code, _, hdrs := StatusOf(err)
	if code != 420 || len(hdrs) != 1 || hdrs[0].Value() != "foo" {
		t.Fatalf("Require: timer, foo → %d %v, want 420 with Unsupported: foo", code, hdrs)
	}
}
