package media

import (
	"testing"
	"time"

	"pbxlab/internal/sdpneg"
)

// TestDTMFReceiver: telephone-events of an endpoint's leg become digits,
// each once; audio packets are not digits but end a digit whose end
// packets were lost; a new SSRC starts afresh.
func TestDTMFReceiver(t *testing.T) {
	now := time.Unix(100, 0)
	var got []byte
	r := NewDTMFReceiver(func(d byte) { got = append(got, d) }, func() time.Time { return now })
	te, pcmu := sdpneg.TelephoneEvent(), sdpneg.PCMU()
	send := func(ssrc, ts uint32, c sdpneg.Codec, payload []byte) {
		r.ReceiveRTP(nil, Header{Codec: c, Timestamp: ts, SSRC: ssrc}, payload)
		now = now.Add(20 * time.Millisecond)
	}
	audio := make([]byte, FrameSamples)
	pkts, err := DTMFPackets('5', 1000, 100*time.Millisecond, FrameDuration, DefaultDTMFVolume)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pkts {
		send(7, p.Timestamp, te, p.Event.Marshal())
	}
	send(7, 2000, pcmu, audio)
	if string(got) != "5" {
		t.Fatalf("after one digit: %q", got)
	}
	// '#' whose end packets are lost: ended by the audio after the timeout.
	send(7, 3000, te, TelephoneEvent{Event: 11, Duration: 160}.Marshal())
	send(7, 3160, pcmu, audio)
	if string(got) != "5" {
		t.Fatalf("a digit in progress was reported: %q", got)
	}
	now = now.Add(DefaultDTMFTimeout)
	send(7, 3320, pcmu, audio)
	if string(got) != "5#" {
		t.Fatalf("a digit whose end was lost: %q", got)
	}
	// Garbage and a non-DTMF event are no digits.
	send(7, 4000, te, []byte{1, 2, 3})
	send(7, 4100, te, TelephoneEvent{Event: 16, End: true, Duration: 800}.Marshal())
	// Another source reusing a finished event's timestamp is a new digit.
	send(8, 1000, te, TelephoneEvent{Event: 5, End: true, Duration: 800}.Marshal())
	if string(got) != "5#5" {
		t.Fatalf("after garbage and a new source: %q", got)
	}
}
