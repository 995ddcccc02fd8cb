package media

import (
	"fmt"
	"testing"
	"time"

	"github.com/zaf/g711"

	"pbxlab/internal/clock"
	"pbxlab/internal/tone"
)

// ulawSink encodes what a member hears into µ-law, as the room's RTP
// output does before the socket write.
type ulawSink struct{ buf [FrameSamples]byte }

func (s *ulawSink) Write(f []int16) {
	for i, v := range f {
		s.buf[i] = g711.EncodeUlawFrame(v)
	}
}

// BenchmarkConferenceMix: rooms × parties mixed as in real time, one
// iteration being one 20 ms period of every room: each member's 20 ms of
// µ-law decoded into its queue (ReceiveRTP), then each room's tick (one
// frame per member, the N−1 mix with AGC, each output encoded to µ-law).
// Sockets excluded. ns/tick is the cost of one period of all the rooms;
// core% is that cost as a share of the 20 ms one core has for it.
func BenchmarkConferenceMix(b *testing.B) {
	for _, shape := range []struct{ rooms, parties int }{{1, 3}, {10, 10}, {1, 32}, {20, 32}} {
		b.Run(fmt.Sprintf("%drooms×%dparties", shape.rooms, shape.parties), func(b *testing.B) {
			clk := clock.NewFake(time.Unix(0, 0)) // the rooms' own goroutines never tick
			type member struct {
				m       *Member
				payload []byte
			}
			var rooms []*Room
			var members []member
			for r := range shape.rooms {
				room := NewRoom(RoomConfig{Name: fmt.Sprint(r)}, WithRoomClock(clk))
				b.Cleanup(func() { _ = room.Close() })
				rooms = append(rooms, room)
				for p := range shape.parties {
					m := &Member{room: room, name: fmt.Sprint(p), talks: true, out: &ulawSink{}}
					if err := room.add(m, false); err != nil {
						b.Fatal(err)
					}
					pcm := make([]int16, FrameSamples)
					tone.New(400+100*float64(p), SampleRate, 0.3).Fill(pcm)
					payload := make([]byte, FrameSamples)
					for i, v := range pcm {
						payload[i] = g711.EncodeUlawFrame(v)
					}
					members = append(members, member{m: m, payload: payload})
				}
			}
			h := Header{Codec: pcmu}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				for _, mb := range members {
					mb.m.ReceiveRTP(nil, h, mb.payload)
				}
				for _, r := range rooms {
					r.tick()
				}
			}
			ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			b.ReportMetric(ns, "ns/tick")
			b.ReportMetric(100*ns/float64(FrameDuration.Nanoseconds()), "core%")
			b.ReportMetric(0, "ns/op")
		})
	}
}
