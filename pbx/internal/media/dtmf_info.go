package media

import (
	"bytes"
	"errors"
	"fmt"
	"mime"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/dtmf"
)

// SIP INFO DTMF (no RFC; what phones and gateways send):
//
//	Content-Type: application/dtmf-relay
//
//	Signal=5
//	Duration=160
//
// (lines "key=value", CRLF or LF; Signal is the digit, Duration in
// milliseconds, optional; other keys ignored), and
//
//	Content-Type: application/dtmf
//
//	5
//
// (the body is the digit). In both, the digit may also be written as its
// RFC 4733 event code ("10" for *, "11" for #, "12"-"15" for A-D).

// MaxDTMFInfoBody bounds the body ParseDTMFInfo accepts.
const MaxDTMFInfoBody = 1024

// InfoDigit is the digit of a SIP INFO.
type InfoDigit struct {
	Digit    byte          // '0'-'9', '*', '#', 'A'-'D'
	Duration time.Duration // 0 when the body gives none
}

// ParseDTMFInfo parses the body of a SIP INFO carrying DTMF, given its
// Content-Type header value. A type other than application/dtmf-relay or
// application/dtmf is ErrDTMFContentType; a body that names no digit, two
// digits, a bad duration or is over MaxDTMFInfoBody bytes is ErrDTMFInfo.
func ParseDTMFInfo(contentType string, body []byte) (InfoDigit, error) {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return InfoDigit{}, fmt.Errorf("parse dtmf info: content type %q: %w", contentType, ErrDTMFContentType)
	}
	if len(body) > MaxDTMFInfoBody {
		return InfoDigit{}, fmt.Errorf("parse dtmf info: %d-byte body: %w", len(body), ErrDTMFInfo)
	}
	switch mt {
	case "application/dtmf-relay":
		return parseDTMFRelay(body)
	case "application/dtmf":
		d, err := parseInfoSignal(string(bytes.TrimSpace(body)))
		if err != nil {
			return InfoDigit{}, fmt.Errorf("parse dtmf info: %w", err)
		}
		return InfoDigit{Digit: d}, nil
	}
	return InfoDigit{}, fmt.Errorf("parse dtmf info: content type %s: %w", mt, ErrDTMFContentType)
}

func parseDTMFRelay(body []byte) (InfoDigit, error) {
	var (
		out       InfoDigit
		gotSignal bool
		gotDur    bool
	)
	for line := range strings.Lines(string(body)) {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok {
			return InfoDigit{}, fmt.Errorf("parse dtmf-relay: line %q: %w", line, ErrDTMFInfo)
		}
		key, value = strings.ToLower(strings.TrimSpace(key)), strings.TrimSpace(value)
		switch key {
		case "signal":
			if gotSignal {
				return InfoDigit{}, fmt.Errorf("parse dtmf-relay: second Signal: %w", ErrDTMFInfo)
			}
			d, err := parseInfoSignal(value)
			if err != nil {
				return InfoDigit{}, fmt.Errorf("parse dtmf-relay: %w", err)
			}
			out.Digit, gotSignal = d, true
		case "duration":
			ms, err := strconv.ParseUint(value, 10, 16)
			if err != nil || gotDur {
				return InfoDigit{}, fmt.Errorf("parse dtmf-relay: Duration %q: %w", value, ErrDTMFInfo)
			}
			out.Duration, gotDur = time.Duration(ms)*time.Millisecond, true
		}
	}
	if !gotSignal {
		return InfoDigit{}, fmt.Errorf("parse dtmf-relay: no Signal: %w", ErrDTMFInfo)
	}
	return out, nil
}

// parseInfoSignal reads a digit written as its character or its event code.
func parseInfoSignal(s string) (byte, error) {
	if len(s) == 1 {
		d, err := EventOfDigit(s[0])
		if err != nil {
			return 0, fmt.Errorf("signal %q: %w: %w", s, ErrDTMFInfo, err)
		}
		return dtmf.Digits[d], nil
	}
	code, err := strconv.ParseUint(s, 10, 8)
	if err != nil {
		return 0, fmt.Errorf("signal %q: %w", s, ErrDTMFInfo)
	}
	d, err := DigitOfEvent(uint8(code))
	if err != nil {
		return 0, fmt.Errorf("signal %q: %w: %w", s, ErrDTMFInfo, err)
	}
	return d, nil
}

// AnswerDTMFInfo reads the digit of a SIP INFO that a service of the media
// server takes (an IVR menu, a voicemail session) and builds its answer:
// 200 with the digit (ok), 415 for a body that is no DTMF type, 400 for a
// bad one.
func AnswerDTMFInfo(req *sip.Request) (digit byte, res *sip.Response, ok bool) {
	ct := ""
	if h := req.ContentType(); h != nil {
		ct = h.Value()
	}
	d, err := ParseDTMFInfo(ct, req.Body())
	switch {
	case errors.Is(err, ErrDTMFContentType):
		return 0, sip.NewResponseFromRequest(req, 415, "Unsupported Media Type", nil), false
	case err != nil:
		return 0, sip.NewResponseFromRequest(req, 400, "Bad Request", nil), false
	}
	return d.Digit, sip.NewResponseFromRequest(req, 200, "OK", nil), true
}
