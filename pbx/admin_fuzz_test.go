package pbx

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"unicode"
)

// FuzzDecodeSubscriber: whatever the body, decoding never panics; it
// either yields a request whose number is 1 to 32 digits and whose text
// fields are bounded and free of control characters and quotes, or a 400
// that names what is wrong.
func FuzzDecodeSubscriber(f *testing.F) {
	for _, seed := range []string{
		`{"number":"2001","password":"pw"}`,
		`{"number":"2001","password":"pw","realm":"pbxlab","display_name":"Ann","device":"gw1"}`,
		`{"number":"2001","password":"pw","colour":"red"}`,
		`{"number":2001}`, `{"number":"2001","password":"a\u0000b"}`, `{"number":"2001","password":"pw"} {}`,
		`[]`, `null`, ``, `{`, `{"number":"` + strings.Repeat("9", 40) + `","password":"x"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := decodeSubscriber(body)
		if err != nil {
			var ae *apiError
			if !errors.As(err, &ae) || ae.Status != http.StatusBadRequest || ae.Message == "" {
				t.Fatalf("error %#v is not a 400 with a message", err)
			}
			return
		}
		if len(req.Number) < 1 || len(req.Number) > maxAPINumber || !isDigits(req.Number) {
			t.Fatalf("accepted number %q", req.Number)
		}
		if req.Password == "" {
			t.Fatal("accepted an empty password")
		}
		for _, v := range []string{req.Password, req.Realm, req.DisplayName, req.Device} {
			if len(v) > maxAPIText || strings.ContainsFunc(v, unicode.IsControl) || strings.ContainsAny(v, "\"\\") {
				t.Fatalf("accepted text %q", v)
			}
		}
	})
}
