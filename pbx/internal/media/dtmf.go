package media

import (
	"time"

	"pbxlab/internal/dtmf"
)

// The RFC 4733 telephone-event codec lives in pbxlab/internal/dtmf, shared
// with the simulated phones; these names keep the media server's API.

// TelephoneEventSize is the size of one event block.
const TelephoneEventSize = dtmf.TelephoneEventSize

// DefaultDTMFVolume is the volume senders use (-10 dBm0).
const DefaultDTMFVolume = dtmf.DefaultVolume

// TelephoneEvent is one RFC 4733 event block.
type TelephoneEvent = dtmf.TelephoneEvent

// ParseTelephoneEvents decodes an RTP telephone-event payload (see
// dtmf.ParseTelephoneEvents); errors wrap ErrTelephoneEvent.
func ParseTelephoneEvents(payload []byte) ([]TelephoneEvent, error) {
	return dtmf.ParseTelephoneEvents(payload)
}

// DigitOfEvent returns the DTMF character of an event code 0-15.
func DigitOfEvent(event uint8) (byte, error) { return dtmf.DigitOfEvent(event) }

// EventOfDigit returns the event code of a DTMF character.
func EventOfDigit(d byte) (uint8, error) { return dtmf.EventOfDigit(d) }

// DTMFPacket is one RTP packet of a digit.
type DTMFPacket = dtmf.Packet

// MaxDTMFDuration is the longest digit DTMFPackets sends.
const MaxDTMFDuration = dtmf.MaxDuration

// DTMFPackets returns the packets that send one digit (see dtmf.Packets).
func DTMFPackets(digit byte, start uint32, duration, interval time.Duration, volume uint8) ([]DTMFPacket, error) {
	return dtmf.Packets(digit, start, duration, interval, volume)
}

// DigitEnd says how the collector knew a digit was over.
type DigitEnd = dtmf.DigitEnd

// How a digit ended.
const (
	EndBit   = dtmf.EndBit
	EndNext  = dtmf.EndNext
	EndTimer = dtmf.EndTimer
)

// Digit is one DTMF digit received.
type Digit = dtmf.Digit

// DefaultDTMFTimeout is how long a DTMFCollector waits for a packet of the
// current event before it takes the digit as ended.
const DefaultDTMFTimeout = dtmf.DefaultTimeout

// DTMFCollector turns the telephone-event packets of one RTP stream into
// digits (see dtmf.Collector).
type DTMFCollector = dtmf.Collector

// NewDTMFCollector returns a collector; timeout <= 0 means DefaultDTMFTimeout.
func NewDTMFCollector(timeout time.Duration) *DTMFCollector { return dtmf.NewCollector(timeout) }
