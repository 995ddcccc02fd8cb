package dialoginfo

import (
	"errors"
	"strings"
	"testing"
)

func TestFormatParse(t *testing.T) {
	for _, tc := range []struct {
		name      string
		info      Info
		state     string
		direction string
	}{
		{"idle", Info{Version: 0, Entity: "sip:1002@pbx", Dialogs: []Dialog{{ID: "1002", State: Terminated}}}, Terminated, ""},
		{"none", Info{Version: 3, Entity: "sip:1002@pbx"}, Terminated, ""},
		{"ringing", Info{Version: 1, Entity: "sip:1002@pbx", Dialogs: []Dialog{{ID: "c1", CallID: "c1", Direction: Recipient, State: Early,
			Remote: &Participant{Identity: "sip:1001@pbx"}}}}, Early, Recipient},
		{"calling", Info{Version: 1, Entity: "sip:1002@pbx", Dialogs: []Dialog{{ID: "c1", Direction: Initiator, State: Trying}}}, Trying, Initiator},
		{"talking and ringing", Info{Version: 2, Entity: "sip:1002@pbx", Dialogs: []Dialog{
			{ID: "c1", Direction: Recipient, State: Early}, {ID: "c2", Direction: Initiator, State: Confirmed}}}, Confirmed, Initiator},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := Format(tc.info)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(b), `xmlns="urn:ietf:params:xml:ns:dialog-info"`) || !strings.Contains(string(b), `state="full"`) {
				t.Fatalf("body:\n%s", b)
			}
			got, err := Parse(b)
			if err != nil {
				t.Fatalf("parse %s: %v", b, err)
			}
			if got.Version != tc.info.Version || got.Entity != tc.info.Entity || len(got.Dialogs) != len(tc.info.Dialogs) {
				t.Fatalf("got %+v, want %+v", got, tc.info)
			}
			if s, d := got.Summary(); s != tc.state || d != tc.direction {
				t.Errorf("summary %s %s, want %s %s", s, d, tc.state, tc.direction)
			}
		})
	}
}

func TestParseBad(t *testing.T) {
	for _, b := range []string{
		"",
		"<x/>",
		`<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="1" entity="sip:a@b"/>`,
		`<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="-1" state="full" entity="sip:a@b"/>`,
		`<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="1" state="full" entity="sip:a@b"><dialog><state>early</state></dialog></dialog-info>`,
		strings.Repeat(" ", MaxBody+1),
	} {
		if _, err := Parse([]byte(b)); !errors.Is(err, ErrSyntax) {
			t.Errorf("%.60q: %v, want ErrSyntax", b, err)
		}
	}
}

// FuzzParse: a dialog-info body comes from the network; Parse never
// panics, and what it accepts formats and parses again to the same
// summary.
func FuzzParse(f *testing.F) {
	b, _ := Format(Info{Version: 1, Entity: "sip:1002@pbx", Dialogs: []Dialog{{ID: "c1", CallID: "c1", Direction: Recipient, State: Early, Remote: &Participant{Identity: "sip:1001@pbx"}}}})
	f.Add(b)
	f.Add([]byte(`<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="0" state="full" entity="sip:1@x"><dialog id="1"><state>terminated</state></dialog></dialog-info>`))
	f.Add([]byte("<dialog-info"))
	f.Fuzz(func(t *testing.T, body []byte) {
		info, err := Parse(body)
		if err != nil {
			if !errors.Is(err, ErrSyntax) {
				t.Fatalf("error %v is not ErrSyntax", err)
			}
			return
		}
		out, err := Format(info)
		if err != nil {
			return // an accepted body may hold what XML cannot carry back (invalid characters)
		}
		again, err := Parse(out)
		if err != nil {
			t.Fatalf("re-parse of %q: %v", out, err)
		}
		s1, d1 := info.Summary()
		s2, d2 := again.Summary()
		if s1 != s2 || d1 != d2 {
			t.Fatalf("summary %s/%s then %s/%s", s1, d1, s2, d2)
		}
	})
}
