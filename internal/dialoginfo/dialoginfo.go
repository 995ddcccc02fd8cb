// Package dialoginfo is the application/dialog-info+xml body of RFC 4235
// (the dialog event package): what the PBX puts in a NOTIFY of the dialog
// event (busy lamp field) and what the simulated phones read from one.
// Shared by pbx and sim (internal/, as mwi is).
//
//	<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="0"
//	    state="full" entity="sip:1002@pbxlab">
//	  <dialog id="a84b4c76e66710" call-id="a84b4c76e66710" direction="recipient">
//	    <state>early</state>
//	    <remote><identity>sip:1001@pbxlab</identity></remote>
//	  </dialog>
//	</dialog-info>
package dialoginfo

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
)

// Event is the event package name (Event header) and ContentType the
// body's media type (RFC 4235 §3.1, §4.1).
const (
	Event       = "dialog"
	ContentType = "application/dialog-info+xml"
	Namespace   = "urn:ietf:params:xml:ns:dialog-info"
)

// MaxBody bounds the body Parse reads.
const MaxBody = 64 << 10

// Dialog states (RFC 4235 §3.7.1).
const (
	Trying     = "trying"
	Proceeding = "proceeding"
	Early      = "early"
	Confirmed  = "confirmed"
	Terminated = "terminated"
)

// Directions (RFC 4235 §4.1.2): the entity called (initiator) or was
// called (recipient).
const (
	Initiator = "initiator"
	Recipient = "recipient"
)

// Info is a dialog-info document.
type Info struct {
	XMLName xml.Name `xml:"urn:ietf:params:xml:ns:dialog-info dialog-info"`
	// Version counts the NOTIFYs of the subscription, from 0.
	Version uint32 `xml:"version,attr"`
	// State is "full" or "partial".
	State string `xml:"state,attr"`
	// Entity is the watched resource's URI.
	Entity  string   `xml:"entity,attr"`
	Dialogs []Dialog `xml:"dialog"`
}

// Dialog is one dialog of the entity.
type Dialog struct {
	ID        string       `xml:"id,attr"`
	CallID    string       `xml:"call-id,attr,omitempty"`
	Direction string       `xml:"direction,attr,omitempty"`
	State     string       `xml:"state"`
	Remote    *Participant `xml:"remote,omitempty"`
}

// Participant is the other party of a dialog.
type Participant struct {
	Identity string `xml:"identity"`
}

// ErrSyntax means a body that is not a dialog-info document.
var ErrSyntax = errors.New("bad dialog-info body")

// Format renders info with an XML declaration.
func Format(info Info) ([]byte, error) {
	info.XMLName = xml.Name{Space: Namespace, Local: "dialog-info"}
	if info.State == "" {
		info.State = "full"
	}
	var b bytes.Buffer
	b.WriteString(xml.Header)
	enc := xml.NewEncoder(&b)
	enc.Indent("", "  ")
	if err := enc.Encode(info); err != nil {
		return nil, fmt.Errorf("dialog-info of %s: %w", info.Entity, err)
	}
	b.WriteString("\n")
	return b.Bytes(), nil
}

// Parse reads a dialog-info document (at most MaxBody bytes).
func Parse(body []byte) (Info, error) {
	if len(body) > MaxBody {
		return Info{}, fmt.Errorf("dialog-info of %d bytes: %w", len(body), ErrSyntax)
	}
	var info Info
	if err := xml.Unmarshal(body, &info); err != nil {
		return Info{}, fmt.Errorf("%w: %w", ErrSyntax, err)
	}
	if info.State != "full" && info.State != "partial" {
		return Info{}, fmt.Errorf("%w: state %q", ErrSyntax, info.State)
	}
	for _, d := range info.Dialogs {
		if d.ID == "" {
			return Info{}, fmt.Errorf("%w: a dialog without id", ErrSyntax)
		}
	}
	return info, nil
}

// Summary is the entity's state as a lamp shows it: the "strongest" state
// of its dialogs (confirmed > early > proceeding > trying), Terminated
// when it has none live, with that dialog's direction.
func (info Info) Summary() (state, direction string) {
	rank := map[string]int{Trying: 1, Proceeding: 2, Early: 3, Confirmed: 4}
	state = Terminated
	best := 0
	for _, d := range info.Dialogs {
		if r := rank[d.State]; r > best {
			best, state, direction = r, d.State, d.Direction
		}
	}
	return state, direction
}
