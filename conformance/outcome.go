package conformance

import (
	"fmt"
	"strings"

	"github.com/emiago/sipgo/sip"
)

// Response is one response the target sent.
type Response struct {
	// Version is the SIP-Version of the status line ("SIP/2.0").
	Version    string
	StatusCode int
	Reason     string
	// CallID and CSeqMethod identify the request it answers ("" if absent).
	CallID, CSeqMethod string
	// Headers are the names of the header fields it carries, lower-case
	// full forms as sipgo reports them.
	Headers []string
	// Raw is the response as received.
	Raw string
}

// Has reports whether the response carries a header field called name
// (case-insensitive).
func (r *Response) Has(name string) bool {
	for _, h := range r.Headers {
		if strings.EqualFold(h, name) {
			return true
		}
	}
	return false
}

// Final reports whether the response is final (>= 200).
func (r *Response) Final() bool { return r.StatusCode >= 200 }

// parseResponse reads one datagram as a SIP response (sipgo's parser).
func parseResponse(raw []byte) (*sip.Response, bool) {
	msg, err := sip.NewParser().ParseSIP(raw)
	if err != nil {
		return nil, false
	}
	res, ok := msg.(*sip.Response)
	return res, ok
}

func newResponse(res *sip.Response, raw []byte) Response {
	r := Response{Version: res.SipVersion, StatusCode: res.StatusCode, Reason: res.Reason, Raw: string(raw)}
	if c := res.CallID(); c != nil {
		r.CallID = c.Value()
	}
	if c := res.CSeq(); c != nil {
		r.CSeqMethod = string(c.MethodName)
	}
	for _, h := range res.Headers() {
		r.Headers = append(r.Headers, strings.ToLower(h.Name()))
	}
	return r
}

// Outcome is what came back for one message on one transport.
type Outcome struct {
	// Responses in arrival order (retransmissions included).
	Responses []Response
	// Final is the first final response to the message's request: the
	// first final response with the request's Call-ID when it has one that
	// sipgo can read, else the first final response. Nil when none came.
	Final *Response
	// Closed: the target closed the TCP connection.
	Closed bool
	// Garbage counts datagrams or stream bytes that were not a SIP response.
	Garbage int
	// Err is a local failure (could not connect or send), "" otherwise.
	Err string
}

// Summary renders the outcome in a few words: "407", "no response",
// "100 only", "closed, no response".
func (o Outcome) Summary() string {
	var s string
	switch {
	case o.Err != "":
		s = "error: " + o.Err
	case o.Final != nil:
		s = fmt.Sprintf("%d %s", o.Final.StatusCode, o.Final.Reason)
	case len(o.Responses) > 0:
		s = fmt.Sprintf("%d only (no final response)", o.Responses[0].StatusCode)
	default:
		s = "no response"
	}
	if o.Closed {
		s += ", connection closed"
	}
	if o.Garbage > 0 {
		s += fmt.Sprintf(", %d unparseable", o.Garbage)
	}
	return s
}

// add records a response and picks the final one.
func (o *Outcome) add(r Response, callID string) {
	o.Responses = append(o.Responses, r)
	if o.Final != nil || !r.Final() {
		return
	}
	if callID == "" || r.CallID == callID {
		last := o.Responses[len(o.Responses)-1]
		o.Final = &last
	}
}
