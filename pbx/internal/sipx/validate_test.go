package sipx

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/emiago/sipgo/sip"
)

func parse(t *testing.T, raw string) *sip.Request {
	t.Helper()
	raw = strings.ReplaceAll(raw, "\n", "\r\n")
	msg, err := sip.ParseMessage([]byte(raw))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return msg.(*sip.Request)
}

const base = `Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1
From: <sip:1000@h>;tag=a
To: <sip:1001@h>
Call-ID: c1
Max-Forwards: 70
`

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name   string
		raw    string
		code   int
		header string
	}{
		{"valid options", "OPTIONS sip:1001@h SIP/2.0\n" + base + "CSeq: 1 OPTIONS\nContent-Length: 0\n\n", 0, ""},
		{"version", "OPTIONS sip:1001@h SIP/7.0\n" + base + "CSeq: 1 OPTIONS\nContent-Length: 0\n\n", 505, ""},
		{"missing call-id", "OPTIONS sip:1001@h SIP/2.0\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\nFrom: <sip:a@h>;tag=1\nTo: <sip:b@h>\nCSeq: 1 OPTIONS\nContent-Length: 0\n\n", 400, ""},
		{"two call-ids", "OPTIONS sip:1001@h SIP/2.0\n" + base + "Call-ID: c2\nCSeq: 1 OPTIONS\nContent-Length: 0\n\n", 400, ""},
		{"unknown method", "FOO sip:1001@h SIP/2.0\n" + base + "CSeq: 1 FOO\nContent-Length: 0\n\n", 501, "Allow"},
		{"unknown method cseq mismatch", "FOO sip:1001@h SIP/2.0\n" + base + "CSeq: 1 INVITE\nContent-Length: 0\n\n", 501, "Allow"},
		{"known not implemented", "MESSAGE sip:1001@h SIP/2.0\n" + base + "CSeq: 1 MESSAGE\nContent-Length: 0\n\n", 405, "Allow"},
		{"cseq mismatch", "OPTIONS sip:1001@h SIP/2.0\n" + base + "CSeq: 1 INVITE\nContent-Length: 0\n\n", 400, ""},
		{"scheme", "OPTIONS nobody:opaque SIP/2.0\n" + base + "CSeq: 1 OPTIONS\nContent-Length: 0\n\n", 416, ""},
		{"require", "OPTIONS sip:1001@h SIP/2.0\n" + base + "Require: foo, bar\nCSeq: 1 OPTIONS\nContent-Length: 0\n\n", 420, "Unsupported"},
		{"content type", "INVITE sip:1001@h SIP/2.0\n" + base + "CSeq: 1 INVITE\nContent-Type: application/unknown\nContent-Length: 3\n\nabc", 415, "Accept"},
		{"accept", "INVITE sip:1001@h SIP/2.0\n" + base + "Accept: text/nothing\nCSeq: 1 INVITE\nContent-Length: 0\n\n", 406, "Warning"},
		{"accept wildcard ok", "INVITE sip:1001@h SIP/2.0\n" + base + "Accept: */*\nCSeq: 1 INVITE\nContent-Length: 0\n\n", 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Validate(parse(t, tc.raw))
			if tc.code == 0 {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			code, _, hdrs := StatusOf(err)
			if code != tc.code {
				t.Fatalf("status %d (%v), want %d", code, err, tc.code)
			}
			if tc.header != "" {
				found := false
				for _, h := range hdrs {
					found = found || h.Name() == tc.header
				}
				if !found {
					t.Errorf("response lacks %s", tc.header)
				}
			}
		})
	}
}

func TestStatusOfSentinelsAndWrapping(t *testing.T) {
	for err, want := range map[error]int{
		ErrNotFound: 404, ErrBusy: 486, ErrLoop: 482, ErrTooManyHops: 483, ErrNoDialog: 481,
		errors.New("boom"): 500, Status(423, "Interval Too Brief"): 423,
	} {
		wrapped := errors.Join(errors.New("context"), err)
		if code, _, _ := StatusOf(wrapped); code != want {
			t.Errorf("StatusOf(%v) = %d, want %d", err, code, want)
		}
	}
}

type recTx struct {
	sip.ServerTransaction
	got []*sip.Response
}

func (r *recTx) Respond(res *sip.Response) error { r.got = append(r.got, res); return nil }

func TestAdaptAnswersErrorsOnceAndRecoversPanics(t *testing.T) {
	req := parse(t, "OPTIONS sip:1001@h SIP/2.0\n"+base+"CSeq: 1 OPTIONS\nContent-Length: 0\n\n")
	for _, tc := range []struct {
		name string
		h    Handler
		want []int
	}{
		{"error mapped", func(context.Context, *sip.Request, Tx) error { return ErrNotFound }, []int{404}},
		{"panic is 500", func(context.Context, *sip.Request, Tx) error { panic("bug") }, []int{500}},
		{"answered then error: no second answer", func(_ context.Context, r *sip.Request, tx Tx) error {
			_ = tx.Respond(sip.NewResponseFromRequest(r, 200, "OK", nil))
			return ErrNotFound
		}, []int{200}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rt := &recTx{}
			Adapt(context.Background(), discard(), tc.h)(req, rt)
			if len(rt.got) != len(tc.want) {
				t.Fatalf("got %d responses, want %v", len(rt.got), tc.want)
			}
			for i, r := range rt.got {
				if r.StatusCode != tc.want[i] {
					t.Errorf("response %d = %d, want %d", i, r.StatusCode, tc.want[i])
				}
			}
		})
	}
}

func TestVersionNotSupportedAnswersOnSIP20(t *testing.T) {
	req := parse(t, "OPTIONS sip:1001@h SIP/7.0\n"+base+"CSeq: 1 OPTIONS\nContent-Length: 0\n\n")
	res := ErrorResponse(req, Validate(req))
	if res.StatusCode != 505 || res.SipVersion != "SIP/2.0" {
		t.Fatalf("got %s %d", res.SipVersion, res.StatusCode)
	}
}

// TestValidateRequire100rel: the PBX implements 100rel (RFC 3262), so a
// request that requires it passes; an extension it lacks beside it is the
// only one named in the 420's Unsupported.
func TestValidateRequire100rel(t *testing.T) {
	base := "Via: SIP/2.0/UDP h;branch=z9hG4bK1\nFrom: <sip:a@h>;tag=1\nTo: <sip:b@h>\nCall-ID: x\nMax-Forwards: 70\n"
	if err := Validate(parse(t, "INVITE sip:1001@h SIP/2.0\n"+base+"Require: 100rel\nCSeq: 1 INVITE\nContent-Length: 0\n\n")); err != nil {
		t.Errorf("Require: 100rel refused: %v", err)
	}
	err := Validate(parse(t, "INVITE sip:1001@h SIP/2.0\n"+base+"Require: 100REL, foo\nCSeq: 1 INVITE\nContent-Length: 0\n\n"))
	code, _, hdrs := StatusOf(err)
	if code != 420 || len(hdrs) != 1 || hdrs[0].Value() != "foo" {
		t.Errorf("Require: 100rel, foo → %d %v, want 420 Unsupported: foo", code, hdrs)
	}
	if err := Validate(parse(t, "PRACK sip:1001@h SIP/2.0\n"+base+"RAck: 1 1 INVITE\nCSeq: 2 PRACK\nContent-Length: 0\n\n")); err != nil {
		t.Errorf("PRACK refused by validation (the call layer answers it): %v", err)
	}
}
