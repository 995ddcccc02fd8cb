package sipx

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"strings"

	"github.com/emiago/sipgo/sip"
)

// maxPartsDepth bounds nested multiparts (multipart/alternative inside
// multipart/mixed is as deep as carriers go).
const maxPartsDepth = 3

// UseSDPPart keeps only the SDP of a multipart body (RFC 5621): carriers
// send INVITEs and responses whose multipart/mixed body carries the SDP
// beside an ISUP part (RFC 3204). The PBX, a B2BUA towards SIP phones,
// uses the SDP and drops the other parts: m's body becomes the
// application/sdp part and its Content-Type application/sdp. It reports
// whether it changed m; a multipart body without an SDP part, or one that
// does not parse, is left as it is (a request then gets 415).
func UseSDPPart(m bodyMessage) bool {
	ct := m.ContentType()
	if ct == nil || len(m.Body()) == 0 || !strings.HasPrefix(strings.ToLower(strings.TrimSpace(ct.Value())), "multipart/") {
		return false
	}
	sdp, ok := sdpPart(ct.Value(), m.Body(), 0)
	if !ok {
		return false
	}
	m.RemoveHeader("Content-Type")
	sdpType := sip.ContentTypeHeader("application/sdp")
	m.AppendHeader(&sdpType)
	m.SetBody(sdp) // sipgo updates Content-Length
	return true
}

// bodyMessage is a request or a response.
type bodyMessage interface {
	sip.Message
	ContentType() *sip.ContentTypeHeader
	RemoveHeader(name string) bool
}

// sdpPart finds the first application/sdp part of a multipart body.
func sdpPart(contentType string, body []byte, depth int) ([]byte, bool) {
	if depth >= maxPartsDepth {
		return nil, false
	}
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil || !strings.HasPrefix(mt, "multipart/") || params["boundary"] == "" {
		return nil, false
	}
	r := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	for {
		p, err := r.NextRawPart()
		if err != nil {
			return nil, false // io.EOF: no SDP part; anything else: malformed
		}
		pct := p.Header.Get("Content-Type")
		data, err := io.ReadAll(io.LimitReader(p, int64(len(body))))
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, false
		}
		if isSDP(pct) && len(data) > 0 {
			// the CRLF before a boundary belongs to the boundary (RFC
			// 2046 §5.1.1): most senders' SDP loses its last line end
			if !bytes.HasSuffix(data, []byte("\n")) {
				data = append(data, '\r', '\n')
			}
			return data, true
		}
		if strings.HasPrefix(strings.ToLower(strings.TrimSpace(pct)), "multipart/") {
			if sdp, ok := sdpPart(pct, data, depth+1); ok {
				return sdp, true
			}
		}
	}
}
