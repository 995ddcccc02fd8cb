package sipx

import (
	"fmt"
	"strings"

	"github.com/emiago/sipgo/sip"
)

// Allowed lists the methods the PBX implements (the Allow header).
const Allowed = "INVITE, ACK, BYE, CANCEL, OPTIONS, REGISTER, UPDATE, INFO, PRACK"

// known are methods the PBX recognises but does not implement out of a
// dialog: they get 405 with Allow; anything else gets 501 (RFC 3261 §8.2.1).
var known = map[sip.RequestMethod]bool{
	sip.REFER: true, sip.SUBSCRIBE: true, sip.NOTIFY: true,
	sip.MESSAGE: true, sip.PUBLISH: true,
}

// InDialogOnly are the methods passed to the call layer when they arrive
// inside a dialog (a To tag), where services (transfer, presence ...) take
// them through the call layer's Policy; out of a dialog they get 405.
var InDialogOnly = []sip.RequestMethod{sip.REFER, sip.SUBSCRIBE, sip.NOTIFY, sip.MESSAGE}

var implemented = map[sip.RequestMethod]bool{
	sip.INVITE: true, sip.ACK: true, sip.BYE: true, sip.CANCEL: true, sip.OPTIONS: true,
	sip.REGISTER: true, sip.UPDATE: true, sip.INFO: true, sip.PRACK: true,
}

func inDialogOnly(m sip.RequestMethod) bool {
	for _, x := range InDialogOnly {
		if x == m {
			return true
		}
	}
	return false
}

// singleValued may appear once only (RFC 3261 §7.3.1, RFC 4475 §3.3.8).
var singleValued = [...]string{"Call-ID", "From", "To", "CSeq", "Max-Forwards", "Content-Length", "Content-Type"}

// bodyMethods are the methods whose body the PBX interprets (SDP).
var bodyMethods = map[sip.RequestMethod]bool{sip.INVITE: true, sip.UPDATE: true, sip.ACK: true, sip.PRACK: true}

// Validate applies the RFC 3261 §8.2 UAS checks every request goes through
// before its method handler, in the RFC's order: version, required headers,
// method, Request-URI scheme, Require, Content-Type, Accept. The returned
// error maps to the response through StatusOf.
func Validate(req *sip.Request) error { return validate(req, false) }

// validate is Validate; outOfDialog accepts an InDialogOnly method out of a
// dialog too (a service of its own takes it: SUBSCRIBE for MWI).
func validate(req *sip.Request, outOfDialog bool) error {
	if req.SipVersion != "SIP/2.0" {
		return Status(505, "Version Not Supported")
	}
	if req.Via() == nil || req.From() == nil || req.To() == nil || req.CallID() == nil || req.CSeq() == nil {
		return &StatusError{Code: 400, Reason: "Missing Required Header", Err: ErrBadRequest}
	}
	if name := repeated(req); name != "" {
		return &StatusError{Code: 400, Reason: "Multiple " + name, Err: ErrBadRequest}
	}
	if !implemented[req.Method] && !(inDialogOnly(req.Method) && (outOfDialog || tagOf(req.To()) != "")) {
		allow := sip.NewHeader("Allow", Allowed)
		if known[req.Method] {
			return Status(405, "Method Not Allowed", allow)
		}
		return Status(501, "Not Implemented", allow)
	}
	if cseq := req.CSeq(); cseq.MethodName != req.Method {
		return &StatusError{Code: 400, Reason: "CSeq Method Mismatch", Err: ErrBadRequest}
	}
	if s := strings.ToLower(req.Recipient.Scheme); s != "sip" && s != "sips" {
		return Status(416, "Unsupported URI Scheme")
	}
	if req.Method != sip.ACK && req.Method != sip.CANCEL {
		if opts := unsupported(headerList(req, "Require")); len(opts) > 0 {
			return Status(420, "Bad Extension", sip.NewHeader("Unsupported", strings.Join(opts, ", ")))
		}
	}
	if bodyMethods[req.Method] && len(req.Body()) > 0 {
		if ct := req.ContentType(); ct == nil || !isSDP(ct.Value()) {
			return Status(415, "Unsupported Media Type", sip.NewHeader("Accept", "application/sdp"))
		}
	}
	if req.Method == sip.INVITE {
		if acc := headerList(req, "Accept"); len(acc) > 0 && !acceptsSDP(acc) {
			return Status(406, "Not Acceptable", sip.NewHeader("Warning", `399 pbxlab "only application/sdp is supported"`))
		}
	}
	return nil
}

func isSDP(ct string) bool {
	mt, _, _ := strings.Cut(ct, ";")
	return strings.EqualFold(strings.TrimSpace(mt), "application/sdp")
}

func acceptsSDP(types []string) bool {
	for _, t := range types {
		mt, _, _ := strings.Cut(t, ";")
		switch strings.ToLower(strings.TrimSpace(mt)) {
		case "application/sdp", "application/*", "*/*":
			return true
		}
	}
	return false
}

// headerList returns the comma-separated values of every header called name.
func headerList(req *sip.Request, name string) []string {
	var out []string
	for _, h := range req.Headers() { // not GetHeaders: it allocates the slice it returns
		if !strings.EqualFold(h.Name(), name) {
			continue
		}
		for v := range strings.SplitSeq(h.Value(), ",") {
			if v = strings.TrimSpace(v); v != "" {
				out = append(out, v)
			}
		}
	}
	return out
}

// repeated returns the first of singleValued that req has more than once,
// or "", in one pass over its headers without allocating.
func repeated(req *sip.Request) string {
	var n [len(singleValued)]int
	for _, h := range req.Headers() {
		name := h.Name()
		for i, sv := range singleValued {
			if strings.EqualFold(name, sv) {
				n[i]++
				break
			}
		}
	}
	for i, c := range n {
		if c > 1 {
			return singleValued[i]
		}
	}
	return ""
}

// String renders a request for logs without its body.
func String(req *sip.Request) string {
	id := ""
	if c := req.CallID(); c != nil {
		id = c.Value()
	}
	return fmt.Sprintf("%s %s (%s)", req.Method, req.Recipient.String(), id)
}

func tagOf(to *sip.ToHeader) string {
	t, _ := to.Params.Get("tag")
	return t
}
