package sipx

import (
	"maps"

	"github.com/emiago/sipgo/sip"
)

// sipgo parses Refer-To and Referred-By as it reads a message, and drops
// the whole message, unanswered, when either does not parse (a Refer-To
// that is no URI: "<nowhere at all>"). The PBX's parser keeps such a
// value as a plain header instead, so that the REFER reaches the PBX and
// is refused with 400 (pbx/transfer.go) rather than retransmitted until
// the phone gives up. The headers a response needs (Via, From, To,
// Call-ID, CSeq) stay strict: without them there is nobody to answer.

// lenientHeaders are the names whose parse errors keep the raw value, by
// the lower-case name sipgo's parser map uses.
var lenientHeaders = map[string]string{"refer-to": "Refer-To", "referred-by": "Referred-By"}

// newParser is sipgo's parser with the headers of lenientHeaders read
// leniently.
func newParser() *sip.Parser {
	m := maps.Clone(sip.DefaultHeadersParser())
	for key, name := range lenientHeaders {
		strict, ok := m[key]
		if !ok {
			continue
		}
		m[key] = lenientParser(name, strict)
	}
	return sip.NewParser(sip.WithHeadersParsers(m))
}

// lenientParser parses with strict and, when it fails, keeps value as a
// plain header named name.
func lenientParser(name string, strict sip.HeaderParser) sip.HeaderParser {
	return func(headerName []byte, value string) (sip.Header, error) {
		h, err := strict(headerName, value)
		if err != nil || h == nil {
			return sip.NewHeader(name, value), nil
		}
		return h, nil
	}
}
