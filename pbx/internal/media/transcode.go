package media

import (
	"strings"

	"github.com/zaf/g711"

	"pbxlab/internal/sdpneg"
)

// codecID names what the relay knows of a payload format.
type codecID uint8

// Codecs the PBX can bridge. G.711 µ-law and A-law are transcoded into
// each other; G.722 passes through only between legs that both have it;
// telephone-event (RFC 4733) passes with its payload type mapped; comfort
// noise (RFC 3389) passes between legs that have it.
const (
	codecNone codecID = iota
	codecPCMU
	codecPCMA
	codecG722
	codecEvent
	codecCN
	numCodecs
)

func (c codecID) String() string {
	return [...]string{"none", "PCMU", "PCMA", "G722", "telephone-event", "CN"}[c]
}

// idOf classifies an SDP codec (name and clock rate; payload types are the
// leg's own).
func idOf(c sdpneg.Codec) codecID {
	if c.Rate != 8000 {
		return codecNone
	}
	switch strings.ToUpper(c.Name) {
	case "PCMU":
		return codecPCMU
	case "PCMA":
		return codecPCMA
	case "G722":
		return codecG722
	case "TELEPHONE-EVENT":
		return codecEvent
	case "CN":
		return codecCN
	}
	return codecNone
}

// isAudio: a codec that carries the call's audio (not events or noise).
func (c codecID) isAudio() bool { return c == codecPCMU || c == codecPCMA || c == codecG722 }

// other is the G.711 law a law transcodes to.
func (c codecID) other() codecID {
	switch c {
	case codecPCMU:
		return codecPCMA
	case codecPCMA:
		return codecPCMU
	}
	return codecNone
}

// op is what the relay does to a packet's payload.
type op uint8

const (
	opDrop op = iota // the far leg cannot take it
	opPass           // payload unchanged, payload type mapped
	opU2A            // µ-law → A-law
	opA2U            // A-law → µ-law
)

// action is the relay's decision for one incoming payload type.
type action struct {
	op op
	pt uint8 // outgoing payload type
}

// transcode converts a G.711 payload in place (no allocation).
func transcode(o op, p []byte) {
	switch o {
	case opU2A:
		for i, v := range p {
			p[i] = g711.Ulaw2AlawFrame(v)
		}
	case opA2U:
		for i, v := range p {
			p[i] = g711.Alaw2UlawFrame(v)
		}
	}
}

// plan decides how a packet of codec c (from one leg) reaches a leg that
// takes the codecs in to (codec → its payload type; missing = not taken).
func plan(c codecID, to *[numCodecs]int16) action {
	if pt := to[c]; pt >= 0 {
		return action{op: opPass, pt: uint8(pt)}
	}
	if o := c.other(); o != codecNone && to[o] >= 0 {
		if c == codecPCMU {
			return action{op: opU2A, pt: uint8(to[o])}
		}
		return action{op: opA2U, pt: uint8(to[o])}
	}
	return action{op: opDrop}
}
