// Package mwi is the message-summary body of RFC 3842 (message waiting
// indication): what the PBX puts in a NOTIFY of the message-summary event
// package and what the simulated phones read from one. Shared by pbx and
// sim (internal/, as sdpneg is).
//
//	Messages-Waiting: yes
//	Message-Account: sip:1001@pbxlab
//	Voice-Message: 2/8 (0/2)
package mwi

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Event is the event package name (Event header) and ContentType the body's
// media type (RFC 3842 §3.2, §5).
const (
	Event       = "message-summary"
	ContentType = "application/simple-message-summary"
)

// MaxBody bounds the body Parse reads.
const MaxBody = 8 << 10

// Counts are the messages of one context class: new and old, and the
// urgent ones among them.
type Counts struct {
	New, Old             int
	UrgentNew, UrgentOld int
}

// Summary is a message-summary body.
type Summary struct {
	// Waiting is Messages-Waiting: yes (there are new messages).
	Waiting bool
	// Account is the Message-Account URI ("" when absent).
	Account string
	// Voice is the Voice-Message line (zero when absent).
	Voice Counts
	// HasVoice is true when a Voice-Message line was present.
	HasVoice bool
}

// ErrSyntax means a body that is not a message-summary (RFC 3842 §5.2).
var ErrSyntax = errors.New("bad message-summary body")

// Format renders s (CRLF lines). Voice-Message is written when HasVoice
// or any count is set.
func Format(s Summary) []byte {
	var b bytes.Buffer
	b.WriteString("Messages-Waiting: ")
	if s.Waiting {
		b.WriteString("yes\r\n")
	} else {
		b.WriteString("no\r\n")
	}
	if s.Account != "" {
		b.WriteString("Message-Account: " + s.Account + "\r\n")
	}
	if v := s.Voice; s.HasVoice || v != (Counts{}) {
		fmt.Fprintf(&b, "Voice-Message: %d/%d (%d/%d)\r\n", v.New, v.Old, v.UrgentNew, v.UrgentOld)
	}
	return b.Bytes()
}

// ForMailbox is the summary of a voice mailbox with newN and oldN messages.
func ForMailbox(account string, newN, oldN int) Summary {
	return Summary{Waiting: newN > 0, Account: account, Voice: Counts{New: newN, Old: oldN}, HasVoice: true}
}

// Parse reads a message-summary body: the Messages-Waiting line (required),
// Message-Account and the Voice-Message line; other context classes
// (fax-message, ...) and the optional headers after a blank line are
// skipped. Header names are case-insensitive, LF or CRLF line ends.
func Parse(body []byte) (Summary, error) {
	if len(body) > MaxBody {
		return Summary{}, fmt.Errorf("%w: %d bytes", ErrSyntax, len(body))
	}
	var (
		s       Summary
		sawWait bool
	)
	for _, line := range strings.Split(string(body), "\n") {
		line = strings.TrimRight(line, "\r")
		if strings.TrimSpace(line) == "" {
			if sawWait {
				break // the opt-msg-headers follow (RFC 3842 §5.2)
			}
			continue
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			return Summary{}, fmt.Errorf("%w: line %q has no colon", ErrSyntax, line)
		}
		name, value = strings.ToLower(strings.TrimSpace(name)), strings.TrimSpace(value)
		switch name {
		case "messages-waiting":
			switch strings.ToLower(value) {
			case "yes":
				s.Waiting = true
			case "no":
				s.Waiting = false
			default:
				return Summary{}, fmt.Errorf("%w: Messages-Waiting %q", ErrSyntax, value)
			}
			sawWait = true
		case "message-account":
			s.Account = value
		case "voice-message":
			c, err := parseCounts(value)
			if err != nil {
				return Summary{}, err
			}
			s.Voice, s.HasVoice = c, true
		}
	}
	if !sawWait {
		return Summary{}, fmt.Errorf("%w: no Messages-Waiting line", ErrSyntax)
	}
	return s, nil
}

// parseCounts reads "new/old" with an optional "(urgent-new/urgent-old)".
func parseCounts(v string) (Counts, error) {
	main, urgent, hasUrgent := strings.Cut(v, "(")
	var c Counts
	var err error
	if c.New, c.Old, err = pair(main); err != nil {
		return Counts{}, err
	}
	if hasUrgent {
		u, ok := strings.CutSuffix(strings.TrimSpace(urgent), ")")
		if !ok {
			return Counts{}, fmt.Errorf("%w: counts %q: unclosed parenthesis", ErrSyntax, v)
		}
		if c.UrgentNew, c.UrgentOld, err = pair(u); err != nil {
			return Counts{}, err
		}
	}
	return c, nil
}

func pair(s string) (int, int, error) {
	a, b, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return 0, 0, fmt.Errorf("%w: counts %q: want new/old", ErrSyntax, s)
	}
	x, err1 := count(a)
	y, err2 := count(b)
	if err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("%w: counts %q", ErrSyntax, s)
	}
	return x, y, nil
}

func count(s string) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 9 || strings.Trim(s, "0123456789") != "" {
		return 0, ErrSyntax
	}
	return strconv.Atoi(s)
}
