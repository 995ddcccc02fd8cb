package scenario

import (
	"errors"
	"strings"
	"testing"
	"time"

	"pbxlab/sim/carrier"
)

const withCarrier = `name: office-trunk
population: {count: 10, first: "1000", password: "demo{n}"}
behaviours: {answer: 100}
calls: {rate: 2, hold: 1s, duration: 5s}
carriers:
  - name: telco
    accounts: [{username: trunk, password: secret}]
    answer: {action: answer, delay: 100ms}
    numbers:
      "0049": {action: reject, code: 503, retry_after: 30s}
    outbound: {percent: 30, prefix: "9", numbers: {first: "0201000", count: 20}}
    inbound: {rate: 1, dids: {first: "1000", count: 10}, from: {first: "0301000", count: 5}, via: trunk}
`

func TestParseCarrier(t *testing.T) {
	sc, err := Parse("t.yaml", []byte(withCarrier))
	if err != nil {
		t.Fatal(err)
	}
	if len(sc.Carriers) != 1 {
		t.Fatalf("carriers %+v", sc.Carriers)
	}
	c := sc.Carriers[0]
	if c.Listen != DefaultCarrierListen || c.Transport != "udp" || c.Outbound.Prefix != "9" || c.Inbound.Via != "trunk" {
		t.Errorf("carrier %+v", c)
	}
	if b := c.Answer.Behaviour(); b.Action != carrier.Answer || b.Delay != 100*time.Millisecond {
		t.Errorf("answer %+v", b)
	}
	if b := c.Numbers["0049"].Behaviour(); b.Action != carrier.Reject || b.Code != 503 || b.RetryAfter != 30*time.Second {
		t.Errorf("0049 %+v", b)
	}
	if got := (CarrierBehaviour{}).Behaviour(); got.Action != carrier.Answer {
		t.Errorf("default action %s", got.Action)
	}
}

// TestCarrierTransportTCP: transport: tcp is kept as given.
func TestCarrierTransportTCP(t *testing.T) {
	sc, err := Parse("t.yaml", []byte(strings.Replace(withCarrier, "name: telco", "name: telco\n    transport: tcp", 1)))
	if err != nil {
		t.Fatal(err)
	}
	if got := sc.Carriers[0].Transport; got != "tcp" {
		t.Errorf("transport %q, want tcp", got)
	}
}

func TestCarrierDefaults(t *testing.T) {
	doc := strings.Replace(withCarrier, ", via: trunk", "", 1)
	doc = strings.Replace(doc, `, from: {first: "0301000", count: 5}`, "", 1)
	sc, err := Parse("t.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	in := sc.Carriers[0].Inbound
	if in.Via != ViaTarget || in.From != (Remote{First: "0", Count: 1}) {
		t.Errorf("inbound defaults %+v", in)
	}
}

func TestCarrierErrorsNameField(t *testing.T) {
	tests := []struct {
		name  string
		from  string
		to    string
		line  int
		field string
		msg   string
	}{
		{"unknown field", "name: telco", "name: telco\n    colour: red", 7, "carriers[0].colour", "unknown field"},
		{"bad action", "action: answer", "action: maybe", 8, "carriers[0].answer.action", "must be one of"},
		{"bad code", "code: 503", "code: 200", 10, "carriers[0].numbers.0049.code", "300..699"},
		{"percent over 100", "percent: 30", "percent: 130", 11, "carriers[0].outbound.percent", "0..100"},
		{"outbound without numbers", `, numbers: {first: "0201000", count: 20}}`, "}", 11, "carriers[0].outbound.numbers.count", "1..1000000"},
		{"inbound without dids", `dids: {first: "1000", count: 10}, `, "", 12, "carriers[0].inbound.dids.count", "1..1000000"},
		{"via unknown account", "via: trunk", "via: nobody", 12, "carriers[0].inbound.via", "accounts"},
		{"bad listen", "name: telco", "name: telco\n    listen: nowhere", 7, "carriers[0].listen", "IP:port"},
		{"bad transport", "name: telco", "name: telco\n    transport: sctp", 7, "carriers[0].transport", "udp or tcp"},
		{"empty account", "username: trunk, ", "", 7, "carriers[0].accounts[0].username", "required"},
		{"missing name", "- name: telco", "- listen: 127.0.0.1:0", 6, "carriers[0].name", "required"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc := strings.Replace(withCarrier, tc.from, tc.to, 1)
			if doc == withCarrier {
				t.Fatalf("replacement %q not found", tc.from)
			}
			_, err := Parse("x.yaml", []byte(doc))
			var se *Error
			if !errors.As(err, &se) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("Parse = %v, want a scenario error", err)
			}
			found := false
			for _, e := range unwrapAll(err) {
				if e.Field == tc.field && strings.Contains(e.Msg, tc.msg) && (tc.line == 0 || e.Line == tc.line) {
					found = true
				}
			}
			if !found {
				t.Errorf("errors %v: want line %d field %s containing %q", err, tc.line, tc.field, tc.msg)
			}
		})
	}
}

func unwrapAll(err error) []*Error {
	var out []*Error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			out = append(out, unwrapAll(e)...)
		}
		return out
	}
	var se *Error
	if errors.As(err, &se) {
		out = append(out, se)
	}
	return out
}
