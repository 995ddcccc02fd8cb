package testua

import (
	"net/netip"
	"strings"

	"github.com/emiago/sipgo/sip"
)

// Matcher selects records. The nil Matcher matches every record; the
// others never match an unparsable one (see Unparsable). Combine them with
// And, Or and Not.
type Matcher func(*Record) bool

func (m Matcher) match(r *Record) bool { return m == nil || m(r) }

// And matches what every m matches.
func And(ms ...Matcher) Matcher {
	return func(r *Record) bool {
		for _, m := range ms {
			if !m.match(r) {
				return false
			}
		}
		return true
	}
}

// Or matches what any m matches.
func Or(ms ...Matcher) Matcher {
	return func(r *Record) bool {
		for _, m := range ms {
			if m.match(r) {
				return true
			}
		}
		return false
	}
}

// Not matches what m does not.
func Not(m Matcher) Matcher { return func(r *Record) bool { return !m.match(r) } }

// Unparsable matches the records sipgo could not parse.
func Unparsable() Matcher { return func(r *Record) bool { return r.Msg == nil } }

// Requests matches every request.
func Requests() Matcher { return func(r *Record) bool { return r.Request() != nil } }

// Responses matches every response.
func Responses() Matcher { return func(r *Record) bool { return r.Response() != nil } }

// Method matches requests of method m (e.g. sip.BYE).
func Method(m sip.RequestMethod) Matcher {
	return func(r *Record) bool {
		req := r.Request()
		return req != nil && strings.EqualFold(string(req.Method), string(m))
	}
}

// Status matches responses with one of the codes.
func Status(codes ...int) Matcher {
	return func(r *Record) bool {
		res := r.Response()
		if res == nil {
			return false
		}
		for _, c := range codes {
			if res.StatusCode == c {
				return true
			}
		}
		return false
	}
}

// StatusRange matches responses with lo <= code <= hi.
func StatusRange(lo, hi int) Matcher {
	return func(r *Record) bool {
		res := r.Response()
		return res != nil && res.StatusCode >= lo && res.StatusCode <= hi
	}
}

// Provisional matches 1xx responses.
func Provisional() Matcher { return StatusRange(100, 199) }

// Final matches final (>= 200) responses.
func Final() Matcher { return StatusRange(200, 699) }

// CSeqMethod matches messages whose CSeq names method m: the responses to
// INVITEs are And(Responses(), CSeqMethod(sip.INVITE)).
func CSeqMethod(m sip.RequestMethod) Matcher {
	return func(r *Record) bool {
		if r.Msg == nil {
			return false
		}
		cs := r.Msg.CSeq()
		return cs != nil && strings.EqualFold(string(cs.MethodName), string(m))
	}
}

// CSeq matches messages with CSeq number n.
func CSeq(n uint32) Matcher {
	return func(r *Record) bool {
		if r.Msg == nil {
			return false
		}
		cs := r.Msg.CSeq()
		return cs != nil && cs.SeqNo == n
	}
}

// CallID matches messages of the Call-ID.
func CallID(id string) Matcher {
	return func(r *Record) bool { return r.Msg != nil && callIDOf(r.Msg) == id }
}

// Branch matches messages whose top Via has the branch.
func Branch(b string) Matcher {
	return func(r *Record) bool { return r.Msg != nil && branchOf(r.Msg) == b }
}

// ToTag matches messages whose To tag is tag ("" matches a To without tag).
func ToTag(tag string) Matcher {
	return func(r *Record) bool {
		if r.Msg == nil || r.Msg.To() == nil {
			return false
		}
		t, _ := r.Msg.To().Params.Get("tag")
		return t == tag
	}
}

// Peer matches records received from (or sent to) addr.
func Peer(addr netip.AddrPort) Matcher {
	return func(r *Record) bool { return r.Peer == addr }
}

// HasHeader matches messages carrying header name whose value contains
// substr (case-insensitive; "" matches any value).
func HasHeader(name, substr string) Matcher {
	return func(r *Record) bool {
		if r.Msg == nil {
			return false
		}
		for _, h := range r.Msg.GetHeaders(name) {
			if strings.Contains(strings.ToLower(h.Value()), strings.ToLower(substr)) {
				return true
			}
		}
		return false
	}
}

// Func wraps any predicate on parsed messages.
func Func(f func(sip.Message) bool) Matcher {
	return func(r *Record) bool { return r.Msg != nil && f(r.Msg) }
}

// Of matches responses to req and requests of req's transaction (its
// retransmissions, its CANCEL and non-2xx ACK): same top Via branch and
// Call-ID.
func Of(req *sip.Request) Matcher {
	b, id := branchOf(req), callIDOf(req)
	return func(r *Record) bool { return r.Msg != nil && branchOf(r.Msg) == b && callIDOf(r.Msg) == id }
}

func branchOf(m sip.Message) string {
	via := m.Via()
	if via == nil {
		return ""
	}
	b, _ := via.Params.Get("branch")
	return b
}
