package phone

import (
	"strings"
	"sync"

	"github.com/pion/rtp"
	"github.com/zaf/g711"

	"pbxlab/internal/sdpneg"
)

// echoMax bounds the audio an echo holds: 1 s at 8 kHz. Older audio is
// dropped, so the loop's delay stays short.
const echoMax = 8000

// echoBuffer loops a call's received audio back to the far end (the
// PhoneConfig.Echo negative control): the receive tap decodes every RTP
// packet into it, the sender drains it one packet time at a time.
type echoBuffer struct {
	mu  sync.Mutex
	buf []int16
}

func newEchoBuffer() *echoBuffer { return &echoBuffer{} }

// push decodes one received datagram if it is G.711 RTP of the stream's
// payload type, and queues its audio.
func (e *echoBuffer) push(datagram []byte, codec sdpneg.Codec) {
	var p rtp.Packet
	if p.Unmarshal(datagram) != nil || p.Version != 2 || p.PayloadType != codec.PT {
		return
	}
	alaw := strings.EqualFold(codec.Name, "PCMA")
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, b := range p.Payload {
		if alaw {
			e.buf = append(e.buf, g711.DecodeAlawFrame(b))
		} else {
			e.buf = append(e.buf, g711.DecodeUlawFrame(b))
		}
	}
	if n := len(e.buf); n > echoMax {
		e.buf = append(e.buf[:0], e.buf[n-echoMax:]...)
	}
}

// fill hands the oldest queued audio to the sender; silence where there is
// none yet.
func (e *echoBuffer) fill(out []int16) {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := copy(out, e.buf)
	clear(out[n:])
	e.buf = append(e.buf[:0], e.buf[n:]...)
}
