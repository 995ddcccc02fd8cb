package rtpaudio

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/pion/rtp"
	"github.com/zaf/g711"

	"pbxlab/internal/sdpneg"
)

// txState is the RTP sender state (RFC 3550 §5.1): random SSRC and random
// initial sequence number and timestamp.
type txState struct {
	ssrc    uint32
	seq     uint16
	ts      uint32
	started bool // a packet has been sent: no more marker bit
}

func newTxState() txState {
	return txState{ssrc: rand.Uint32(), seq: uint16(rand.Uint32()), ts: rand.Uint32()}
}

// Send transmits one RTP packet every ptime to the remote address, filling
// each with src's samples, until ctx is done or the Stream is closed; it then
// returns nil. A nil src sends nothing (a silent leg) but still blocks.
// Packets are paced in real time; while no remote is set they are skipped
// and the timestamp still advances.
func (s *Stream) Send(ctx context.Context, src func(buf []int16)) error {
	if err := s.enter(); err != nil {
		return fmt.Errorf("send rtp %s: %w", s.local, err)
	}
	defer s.wg.Done()
	if !s.sending.CompareAndSwap(false, true) {
		return fmt.Errorf("send rtp %s: %w", s.local, ErrBusy)
	}
	defer s.sending.Store(false)
	if src == nil {
		select {
		case <-ctx.Done():
		case <-s.done:
		}
		return nil
	}
	samples := make([]int16, int(s.ptime*8000/time.Second))
	tick := time.NewTicker(s.ptime)
	defer tick.Stop()
	for ctx.Err() == nil {
		if !s.eventTick(len(samples)) {
			src(samples)
			s.sendFrame(samples)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-s.done:
			return nil
		case <-tick.C:
		}
	}
	return nil
}

// sendFrame encodes and sends one packet; marker set on the first (RFC 3551 §4.1).
func (s *Stream) sendFrame(samples []int16) {
	s.mu.Lock()
	remote, codec := s.remote, s.codec
	hdr := rtp.Header{
		Version:        2,
		Marker:         !s.tx.started,
		PayloadType:    codec.PT,
		SequenceNumber: s.tx.seq,
		Timestamp:      s.tx.ts,
		SSRC:           s.tx.ssrc,
	}
	s.tx.ts += uint32(len(samples))
	if remote.IsValid() {
		s.tx.seq++
		s.tx.started = true
	}
	s.mu.Unlock()
	if !remote.IsValid() {
		return
	}
	s.writePacket(remote, &rtp.Packet{Header: hdr, Payload: encode(codec, samples)}, false)
}

func isALaw(c sdpneg.Codec) bool { return strings.EqualFold(c.Name, "PCMA") }

func encode(c sdpneg.Codec, samples []int16) []byte {
	out := make([]byte, len(samples))
	for i, v := range samples {
		if isALaw(c) {
			out[i] = g711.EncodeAlawFrame(v)
		} else {
			out[i] = g711.EncodeUlawFrame(v)
		}
	}
	return out
}

func decode(c sdpneg.Codec, payload []byte) []int16 {
	out := make([]int16, len(payload))
	for i, v := range payload {
		if isALaw(c) {
			out[i] = g711.DecodeAlawFrame(v)
		} else {
			out[i] = g711.DecodeUlawFrame(v)
		}
	}
	return out
}
