package sipx

import (
	"errors"
	"fmt"

	"github.com/emiago/sipgo/sip"
)

// Sentinel errors that handlers return; Response maps each to its SIP status.
var (
	ErrBadRequest        = errors.New("bad request")
	ErrForbidden         = errors.New("forbidden")
	ErrNotFound          = errors.New("not found")
	ErrNotAllowed        = errors.New("method not allowed")
	ErrUnavailable       = errors.New("temporarily unavailable")
	ErrNoDialog          = errors.New("call/transaction does not exist")
	ErrLoop              = errors.New("loop detected")
	ErrTooManyHops       = errors.New("too many hops")
	ErrBusy              = errors.New("busy here")
	ErrNotAcceptable     = errors.New("not acceptable here")
	ErrUnsupportedScheme = errors.New("unsupported URI scheme")
	ErrUnsupportedMedia  = errors.New("unsupported media type")
	ErrNotImplemented    = errors.New("not implemented")
	ErrShuttingDown      = errors.New("service unavailable: shutting down")
)

// StatusError carries an explicit SIP status, optional reason phrase and
// extra headers for the response. Handlers return it when a sentinel is not
// precise enough (e.g. 420 with Unsupported, 423 with Min-Expires).
type StatusError struct {
	Code    int
	Reason  string
	Headers []sip.Header
	Err     error
}

// Status returns a *StatusError for code with the given reason phrase.
func Status(code int, reason string, hdrs ...sip.Header) *StatusError {
	return &StatusError{Code: code, Reason: reason, Headers: hdrs}
}

func (e *StatusError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%d %s: %v", e.Code, e.Reason, e.Err)
	}
	return fmt.Sprintf("%d %s", e.Code, e.Reason)
}

func (e *StatusError) Unwrap() error { return e.Err }

var sentinelStatus = []struct {
	err    error
	code   int
	reason string
}{
	{ErrBadRequest, 400, "Bad Request"},
	{ErrForbidden, 403, "Forbidden"},
	{ErrNotFound, 404, "Not Found"},
	{ErrNotAllowed, 405, "Method Not Allowed"},
	{ErrUnsupportedMedia, 415, "Unsupported Media Type"},
	{ErrUnsupportedScheme, 416, "Unsupported URI Scheme"},
	{ErrUnavailable, 480, "Temporarily Unavailable"},
	{ErrNoDialog, 481, "Call/Transaction Does Not Exist"},
	{ErrLoop, 482, "Loop Detected"},
	{ErrTooManyHops, 483, "Too Many Hops"},
	{ErrBusy, 486, "Busy Here"},
	{ErrNotAcceptable, 488, "Not Acceptable Here"},
	{ErrNotImplemented, 501, "Not Implemented"},
	{ErrShuttingDown, 503, "Service Unavailable"},
}

// StatusOf maps err to a SIP status code and reason phrase: a *StatusError
// gives its own, a sentinel its table entry, anything else 500.
func StatusOf(err error) (int, string, []sip.Header) {
	var se *StatusError
	if errors.As(err, &se) {
		return se.Code, se.Reason, se.Headers
	}
	for _, s := range sentinelStatus {
		if errors.Is(err, s.err) {
			return s.code, s.reason, nil
		}
	}
	return 500, "Server Internal Error", nil
}

// ErrorResponse is the one adapter from errors to SIP responses.
func ErrorResponse(req *sip.Request, err error) *sip.Response {
	code, reason, hdrs := StatusOf(err)
	res := sip.NewResponseFromRequest(req, code, reason, nil)
	res.SipVersion = "SIP/2.0" // even when answering SIP/7.0 with 505 (RFC 3261 §7.2)
	for _, h := range hdrs {
		res.AppendHeader(h)
	}
	return res
}

// extraReasons are RFC 3261 §21 reason phrases of codes no sentinel has.
var extraReasons = map[int]string{402: "Payment Required", 404: "Not Found", 410: "Gone", 484: "Address Incomplete",
	485: "Ambiguous", 500: "Server Internal Error", 503: "Service Unavailable", 600: "Busy Everywhere",
	603: "Decline", 604: "Does Not Exist Anywhere"}

// ReasonPhrase is the RFC 3261 §21 reason phrase of code ("" for a code
// the RFC does not name).
func ReasonPhrase(code int) string {
	for _, s := range sentinelStatus {
		if s.code == code {
			return s.reason
		}
	}
	return extraReasons[code]
}
