package subscription

import (
	"errors"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/pbx/internal/sipx"
)

func subscribe(headers ...sip.Header) *sip.Request {
	req := sip.NewRequest(sip.SUBSCRIBE, sip.Uri{Scheme: "sip", User: "1001", Host: "pbx"})
	for _, h := range headers {
		req.AppendHeader(h)
	}
	return req
}

func TestEventOf(t *testing.T) {
	for _, tc := range []struct {
		h    sip.Header
		want string
	}{
		{sip.NewHeader("Event", "message-summary"), "message-summary"},
		{sip.NewHeader("Event", " Message-Summary ;id=1"), "message-summary"},
		{sip.NewHeader("o", "message-summary"), "message-summary"}, // compact form (RFC 6665 §8.2.1)
		{sip.NewHeader("X", "y"), ""},
	} {
		if got := eventOf(subscribe(tc.h)); got != tc.want {
			t.Errorf("%s: %s -> %q, want %q", tc.h.Name(), tc.h.Value(), got, tc.want)
		}
	}
}

func TestExpiresOf(t *testing.T) {
	if d, err := expiresOf(subscribe()); d != -1 || err != nil {
		t.Errorf("no Expires: %s %v, want -1", d, err)
	}
	if d, err := expiresOf(subscribe(sip.NewHeader("Expires", "600"))); d != 600*time.Second || err != nil {
		t.Errorf("600: %s %v", d, err)
	}
	for _, bad := range []string{"", "-1", "1h", "99999999999"} {
		_, err := expiresOf(subscribe(sip.NewHeader("Expires", bad)))
		var se *sipx.StatusError
		if !errors.As(err, &se) || se.Code != 400 || !errors.Is(err, sipx.ErrBadRequest) {
			t.Errorf("Expires %q: %v, want a 400", bad, err)
		}
	}
}

// FuzzHeaders: the Event and Expires values of a SUBSCRIBE come from the
// network; reading them never panics and an Expires is either absent,
// a whole number of seconds, or a 400.
func FuzzHeaders(f *testing.F) {
	f.Add("message-summary;id=3", "3600")
	f.Add("", "0")
	f.Add(";;;", "4294967296")
	f.Fuzz(func(t *testing.T, event, expires string) {
		req := subscribe(sip.NewHeader("Event", event), sip.NewHeader("Expires", expires))
		_ = eventOf(req)
		d, err := expiresOf(req)
		if err != nil {
			var se *sipx.StatusError
			if !errors.As(err, &se) || se.Code != 400 {
				t.Fatalf("Expires %q: %v, want a 400", expires, err)
			}
			return
		}
		if d < 0 || d%time.Second != 0 {
			t.Fatalf("Expires %q -> %s", expires, d)
		}
	})
}
