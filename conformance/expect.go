package conformance

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Expectation is the answer a message must get.
type Expectation struct {
	// Drop: no response at all. Over TCP the server may also close the
	// connection.
	Drop bool
	// Codes: the final response must have one of these status codes.
	Codes []int
	// AnyFinal: any final response from 200 to 499 is right (the message is
	// well-formed or acceptable and the element's policy decides: 200, 401,
	// 404, 407, 481...).
	AnyFinal bool
	// Except lists codes AnyFinal does not accept: 400 for a message the
	// RFC classes as valid, since 400 would call it malformed.
	Except []int
	// Headers the final response must carry (e.g. Unsupported with 420).
	Headers []string
	// Reason cites the RFC and explains the choice.
	Reason string
	// OrClose: over TCP, the server closing the connection without a
	// final response to the message is right too (an unrecoverable
	// framing error).
	OrClose bool
	// TCP, when set, replaces the expectation over TCP (framing differs).
	TCP *Expectation
	// Deviation, in a target's table, says why the target's answer is not
	// one the RFC gives (RFCAnswers) for this message; "" when it is. A
	// test keeps the two in step.
	Deviation string
}

// For returns the expectation that applies to transport ("udp", "tcp").
func (e Expectation) For(transport string) Expectation {
	if strings.EqualFold(transport, "tcp") && e.TCP != nil {
		return *e.TCP
	}
	return e
}

// String renders the expectation: "drop", "420 +Unsupported", "401|407",
// "any final 2xx-4xx".
func (e Expectation) String() string {
	var s string
	switch {
	case e.Drop:
		s = "drop"
	case len(e.Codes) > 0:
		cs := make([]string, len(e.Codes))
		for i, c := range e.Codes {
			cs[i] = strconv.Itoa(c)
		}
		s = strings.Join(cs, "|")
	case e.AnyFinal:
		s = "any final 2xx-4xx"
		for _, c := range e.Except {
			s += " except " + strconv.Itoa(c)
		}
	default:
		s = "unspecified"
	}
	for _, h := range e.Headers {
		s += " +" + h
	}
	if e.OrClose {
		s += " or close"
	}
	return s
}

// Check compares an outcome with the expectation and returns "" when it
// matches, or what is wrong.
func (e Expectation) Check(o Outcome) string {
	switch {
	case e.Drop:
		if len(o.Responses) > 0 {
			return fmt.Sprintf("expected no response, got %s", o.Summary())
		}
		return ""
	case e.OrClose && o.Final == nil && o.Closed:
		// closed with no final response to the message: what came before
		// the close (a 1xx, or the answer to a second message the framing
		// error cut out of the stream, e.g. dblreq's trailing INVITE
		// answered 407) does not matter
		return ""
	case o.Final == nil:
		return fmt.Sprintf("expected %s, got %s", e, o.Summary())
	case len(e.Codes) > 0 && !slices.Contains(e.Codes, o.Final.StatusCode):
		return fmt.Sprintf("expected %s, got %s", e, o.Summary())
	case len(e.Codes) == 0 && e.AnyFinal && (o.Final.StatusCode < 200 || o.Final.StatusCode > 499 || slices.Contains(e.Except, o.Final.StatusCode)):
		return fmt.Sprintf("expected %s, got %s", e, o.Summary())
	case len(e.Codes) == 0 && !e.AnyFinal:
		return "no expectation"
	}
	if o.Final.Version != "SIP/2.0" {
		// RFC 3261 §7.2: an element implementing SIP/2.0 answers with
		// SIP/2.0, whatever version the request named.
		return fmt.Sprintf("expected %s, got %d with status line version %q, want \"SIP/2.0\"", e, o.Final.StatusCode, o.Final.Version)
	}
	for _, h := range e.Headers {
		if !o.Final.Has(h) {
			return fmt.Sprintf("expected %s, got %d without %s", e, o.Final.StatusCode, h)
		}
	}
	return ""
}

// Admits reports whether every answer o accepts is one e accepts too: the
// RFC's answer admits a target's expected answer when the target does
// what the RFC asks. Both are compared as they apply to one transport (use
// For first).
func (e Expectation) Admits(o Expectation) bool {
	for _, out := range o.outcomes() {
		if e.Check(out) != "" {
			return false
		}
	}
	return true
}

// outcomes lists an outcome for every answer the expectation accepts: no
// response (with and without a closed connection) for Drop, a closed
// connection for OrClose, one final response per accepted code, carrying
// the headers the expectation demands.
func (e Expectation) outcomes() []Outcome {
	var out []Outcome
	if e.Drop {
		out = append(out, Outcome{}, Outcome{Closed: true})
	}
	if e.OrClose {
		out = append(out, Outcome{Closed: true})
	}
	cs := e.Codes
	if len(cs) == 0 && e.AnyFinal {
		for c := 200; c <= 499; c++ {
			if !slices.Contains(e.Except, c) {
				cs = append(cs, c)
			}
		}
	}
	for _, c := range cs {
		r := Response{Version: "SIP/2.0", StatusCode: c, Headers: e.Headers}
		out = append(out, Outcome{Responses: []Response{r}, Final: &r})
	}
	return out
}

func codes(c ...int) []int { return c }

func status(reason string, headers []string, c ...int) Expectation {
	return Expectation{Codes: c, Headers: headers, Reason: reason}
}

func drop(reason string) Expectation { return Expectation{Drop: true, Reason: reason} }
