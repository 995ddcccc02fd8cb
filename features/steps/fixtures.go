package steps

import (
	"bytes"
	"embed"
	"fmt"
	"strings"
	"text/template"

	"github.com/emiago/sipgo/sip"
)

// fixtureFiles are the raw SIP messages some scenarios send byte for byte
// (a REGISTER from behind NAT, an INVITE with Max-Forwards 0, ...). They are
// text/template files with LF line ends; render turns them into wire form.
//
//go:embed fixtures/*.sip
var fixtureFiles embed.FS

// fixtureData fills a fixture's placeholders.
type fixtureData struct {
	Transport     string // UDP or TCP (Via)
	SentBy        string // Via sent-by, host:port
	Branch        string // Via branch (z9hG4bK...)
	Domain        string
	User          string // From user
	Callee        string // To user of an INVITE
	FromTag       string
	CallID        string
	CSeq          uint32
	Contact       string // Contact header value: <sip:...> or *
	Expires       int
	Authorization string // Authorization header value, "" for none
	ContentType   string // Content-Type of Body, "" for none
	Body          string // the message body, after the empty line
}

// render executes the fixture name (e.g. "register.sip"), converts it to
// CRLF wire form with d.Body after the empty line and validates it with
// sipgo's parser.
// It returns the wire bytes and the parsed request.
func render(name string, d fixtureData) ([]byte, *sip.Request, error) {
	text, err := fixtureFiles.ReadFile("fixtures/" + name)
	if err != nil {
		return nil, nil, fmt.Errorf("render fixture %s: %w: %w", name, ErrBadFixture, err)
	}
	tpl, err := template.New(name).Option("missingkey=error").Parse(string(text))
	if err != nil {
		return nil, nil, fmt.Errorf("render fixture %s: %w: %w", name, ErrBadFixture, err)
	}
	var b bytes.Buffer
	if err := tpl.Execute(&b, d); err != nil {
		return nil, nil, fmt.Errorf("render fixture %s: %w: %w", name, ErrBadFixture, err)
	}
	wire := append(wireForm(b.String()), d.Body...)
	msg, err := sip.ParseMessage(wire)
	if err != nil {
		return nil, nil, fmt.Errorf("render fixture %s: %w: %w", name, ErrBadFixture, err)
	}
	req, ok := msg.(*sip.Request)
	if !ok {
		return nil, nil, fmt.Errorf("render fixture %s: %w: not a request", name, ErrBadFixture)
	}
	return wire, req, nil
}

// wireForm turns a header block written with any line ends into CRLF lines
// followed by the empty line that ends the headers (no body).
func wireForm(s string) []byte {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.TrimRight(s, "\n \t")
	return []byte(strings.ReplaceAll(s, "\n", "\r\n") + "\r\n\r\n")
}
