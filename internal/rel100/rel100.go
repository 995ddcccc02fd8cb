// Package rel100 holds the header values of reliable provisional responses
// (RFC 3262, the "100rel" option tag): RSeq, RAck, and whether a message
// requires or supports the option. pbx/internal/call and sim/phone both use
// it; the messages themselves are sipgo's.
package rel100

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/emiago/sipgo/sip"
)

// Tag is the option tag of RFC 3262 §10.
const Tag = "100rel"

// ErrBadValue is returned for an RSeq or RAck value that does not parse.
var ErrBadValue = errors.New("bad 100rel header value")

// maxSeq is the largest RSeq (and CSeq) number: 2**31 - 1 (RFC 3262 §7.1,
// RFC 3261 §8.1.1.5).
const maxSeq = 1<<31 - 1

// ParseRSeq parses an RSeq value (RFC 3262 §7.1: 1*DIGIT, 1 to 2**31-1).
func ParseRSeq(v string) (uint32, error) {
	n, err := parseNum(strings.TrimSpace(v))
	if err != nil || n == 0 {
		return 0, fmt.Errorf("rseq %q: %w", v, ErrBadValue)
	}
	return n, nil
}

// RAck is the value of a PRACK's RAck header (RFC 3262 §7.2): the RSeq of
// the provisional response it acknowledges, and the CSeq number and method
// of the request that response answered.
type RAck struct {
	RSeq   uint32
	CSeq   uint32
	Method sip.RequestMethod
}

// String renders the header value ("1 314159 INVITE").
func (r RAck) String() string {
	return fmt.Sprintf("%d %d %s", r.RSeq, r.CSeq, r.Method)
}

// ParseRAck parses an RAck value: response-num LWS CSeq-num LWS Method.
func ParseRAck(v string) (RAck, error) {
	f := strings.Fields(v)
	if len(f) != 3 {
		return RAck{}, fmt.Errorf("rack %q: %w", v, ErrBadValue)
	}
	rseq, err1 := parseNum(f[0])
	cseq, err2 := parseNum(f[1])
	if err1 != nil || err2 != nil || rseq == 0 || !isToken(f[2]) {
		return RAck{}, fmt.Errorf("rack %q: %w", v, ErrBadValue)
	}
	return RAck{RSeq: rseq, CSeq: cseq, Method: sip.RequestMethod(strings.ToUpper(f[2]))}, nil
}

func parseNum(s string) (uint32, error) {
	if s == "" || len(s) > 10 {
		return 0, ErrBadValue
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, ErrBadValue
		}
	}
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil || n > maxSeq {
		return 0, ErrBadValue
	}
	return uint32(n), nil
}

// isToken reports whether s is a SIP token (RFC 3261 §25.1).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.ContainsRune("-.!%*_+`'~", c):
		default:
			return false
		}
	}
	return true
}

// RSeqOf returns the RSeq of a response, false when it has none or an
// unparsable one.
func RSeqOf(res *sip.Response) (uint32, bool) {
	h := res.GetHeader("RSeq")
	if h == nil {
		return 0, false
	}
	n, err := ParseRSeq(h.Value())
	return n, err == nil
}

// RAckOf returns the RAck of a PRACK.
func RAckOf(req *sip.Request) (RAck, error) {
	h := req.GetHeader("RAck")
	if h == nil {
		return RAck{}, fmt.Errorf("rack missing: %w", ErrBadValue)
	}
	return ParseRAck(h.Value())
}

// Has reports whether m's headers called name (Require, Supported) list
// the 100rel option tag.
func Has(m sip.Message, name string) bool {
	for _, h := range m.GetHeaders(name) {
		for _, v := range strings.Split(h.Value(), ",") {
			if strings.EqualFold(strings.TrimSpace(v), Tag) {
				return true
			}
		}
	}
	return false
}

// Reliable reports whether a provisional response is sent reliably: it
// requires 100rel and carries an RSeq (RFC 3262 §4). 100 Trying never is.
func Reliable(res *sip.Response) (uint32, bool) {
	if res.StatusCode <= 100 || res.StatusCode >= 200 || !Has(res, "Require") {
		return 0, false
	}
	return RSeqOf(res)
}

// SetRAck fills the PRACK-specific header of req, an in-dialog request
// built by the caller: RAck naming the provisional res (RFC 3262 §7.2).
func SetRAck(req *sip.Request, res *sip.Response, rseq uint32) {
	req.AppendHeader(sip.NewHeader("RAck", RAck{RSeq: rseq, CSeq: res.CSeq().SeqNo, Method: res.CSeq().MethodName}.String()))
}
