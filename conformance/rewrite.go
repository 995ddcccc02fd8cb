package conformance

import (
	"bytes"
	"fmt"
	"strings"
)

// Rewrite describes the change RewriteTopVia made to a message.
type Rewrite struct {
	// OldTransport and NewTransport are the sent-protocol transport of the
	// top Via before and after.
	OldTransport, NewTransport string
	// OldSentBy and NewSentBy are the top Via's sent-by before and after.
	OldSentBy, NewSentBy string
}

// String renders the rewrite for a report, "none" when nothing changed.
func (r Rewrite) String() string {
	var parts []string
	if r.OldTransport != r.NewTransport {
		parts = append(parts, fmt.Sprintf("transport %s -> %s", r.OldTransport, r.NewTransport))
	}
	if r.OldSentBy != r.NewSentBy {
		parts = append(parts, fmt.Sprintf("sent-by %s -> %s", r.OldSentBy, r.NewSentBy))
	}
	if len(parts) == 0 {
		return "none"
	}
	return "top Via " + strings.Join(parts, ", ")
}

// RewriteTopVia returns msg with the transport of the first Via header
// field value's sent-protocol replaced by transport and its sent-by
// (host[:port]) replaced by sentBy; everything else, line folding and
// parameters (branch, rport, received) included, is kept byte for byte.
// It works on the raw bytes so that messages a parser rejects can be sent
// too; it knows only the Via grammar of RFC 3261 §20.42/§25.1 (LWS and line
// folding, compact form "v", bare LF line ends). It fails with ErrNoVia
// when the header section has no Via whose sent-protocol and sent-by it can
// find; msg is never modified.
func RewriteTopVia(msg []byte, transport, sentBy string) ([]byte, Rewrite, error) {
	hs, he, ok := topVia(msg)
	if !ok {
		return nil, Rewrite{}, ErrNoVia
	}
	v := msg[:he] // bound every scan to the end of this header field
	i := skipLWS(v, hs)
	// sent-protocol = protocol-name SLASH protocol-version SLASH transport
	for k := 0; k < 2; k++ {
		s := skipLWS(v, i)
		if i = skipToken(v, s); i == s {
			return nil, Rewrite{}, ErrNoVia
		}
		if i = skipLWS(v, i); i >= len(v) || v[i] != '/' {
			return nil, Rewrite{}, ErrNoVia
		}
		i++
	}
	ts := skipLWS(v, i)
	te := skipToken(v, ts)
	// sent-by = host [ COLON port ]
	ss := skipLWS(v, te)
	if ts == te || ss == te {
		return nil, Rewrite{}, ErrNoVia
	}
	se := skipHost(v, ss)
	if se == ss {
		return nil, Rewrite{}, ErrNoVia
	}
	if j := skipLWS(v, se); j < len(v) && v[j] == ':' {
		k := skipLWS(v, j+1)
		d := k
		for d < len(v) && v[d] >= '0' && v[d] <= '9' {
			d++
		}
		if d > k {
			se = d
		}
	}
	if se < len(v) && strings.IndexByte(" \t\r\n;,", v[se]) < 0 {
		return nil, Rewrite{}, ErrNoVia // the sent-by runs on: not a Via we understand
	}
	rw := Rewrite{
		OldTransport: string(v[ts:te]), NewTransport: transport,
		OldSentBy: string(v[ss:se]), NewSentBy: sentBy,
	}
	if transport == "" {
		rw.NewTransport = rw.OldTransport
	}
	if sentBy == "" {
		rw.NewSentBy = rw.OldSentBy
	}
	out := make([]byte, 0, len(msg)+len(transport)+len(sentBy))
	out = append(out, msg[:ts]...)
	out = append(out, rw.NewTransport...)
	out = append(out, msg[te:ss]...)
	out = append(out, rw.NewSentBy...)
	out = append(out, msg[se:]...)
	return out, rw, nil
}

// topVia returns the start of the first Via header field's value (just
// after the colon) and the end of the field (the line end that is not
// followed by a folded continuation line).
func topVia(msg []byte) (start, end int, ok bool) {
	i := lineEnd(msg, 0) // skip the start line
	for i < len(msg) {
		le := lineEnd(msg, i)
		line := bytes.TrimRight(msg[i:le], "\r\n")
		if len(line) == 0 {
			return 0, 0, false // end of the header section
		}
		if line[0] != ' ' && line[0] != '\t' {
			if c := bytes.IndexByte(line, ':'); c > 0 {
				name := string(bytes.TrimRight(line[:c], " \t"))
				if strings.EqualFold(name, "via") || strings.EqualFold(name, "v") {
					end := le
					for end < len(msg) && (msg[end] == ' ' || msg[end] == '\t') {
						end = lineEnd(msg, end)
					}
					return i + c + 1, end, true
				}
			}
		}
		i = le
	}
	return 0, 0, false
}

// lineEnd returns the index just past the LF ending the line that starts
// at i (len(b) when the line is not terminated).
func lineEnd(b []byte, i int) int {
	if j := bytes.IndexByte(b[i:], '\n'); j >= 0 {
		return i + j + 1
	}
	return len(b)
}

// skipLWS skips spaces, tabs and line folds (CRLF or LF followed by
// whitespace). A line end that is not a fold is not skipped.
func skipLWS(b []byte, i int) int {
	for i < len(b) {
		switch {
		case b[i] == ' ' || b[i] == '\t':
			i++
		case b[i] == '\r' && i+2 < len(b) && b[i+1] == '\n' && (b[i+2] == ' ' || b[i+2] == '\t'):
			i += 3
		case b[i] == '\n' && i+1 < len(b) && (b[i+1] == ' ' || b[i+1] == '\t'):
			i += 2
		default:
			return i
		}
	}
	return i
}

// skipToken skips an RFC 3261 token.
func skipToken(b []byte, i int) int {
	for i < len(b) && isTokenChar(b[i]) {
		i++
	}
	return i
}

func isTokenChar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("-.!%*_+`'~", c) >= 0
}

// skipHost skips a hostname, IPv4address or bracketed IPv6reference.
func skipHost(b []byte, i int) int {
	if i < len(b) && b[i] == '[' {
		if j := bytes.IndexByte(b[i:], ']'); j > 0 {
			return i + j + 1
		}
		return i
	}
	for i < len(b) && (isAlnum(b[i]) || b[i] == '-' || b[i] == '.') {
		i++
	}
	return i
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
