package main

import (
	"container/heap"
	"context"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/pion/rtp"

	"pbxlab/internal/capmut"
	"pbxlab/internal/pcapio"
	"pbxlab/internal/sipwire"
)

// stats is what generate wrote.
type stats struct {
	copies, sip, rtp int
}

// rtpPacket is the RTP spacing and payload of the synthetic streams
// (G.711 µ-law, 20 ms).
const (
	rtpPtime   = 20 * time.Millisecond
	rtpPayload = 160
)

// generate writes copies of tpl to dst, in time order, until c.copies are
// written or counted reaches c.size (the copies begun are finished).
func generate(ctx context.Context, tpl *capmut.Template, c config, dst io.Writer, counted *countWriter) (stats, error) {
	var st stats
	w, err := capmut.NewWriter(dst)
	if err != nil {
		return st, err
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	step := (tpl.Duration() + c.talk + c.gap) / time.Duration(c.concurrent)
	startOf := func(i int) time.Time { return t0.Add(time.Duration(i) * step) }
	more := func() bool {
		return (c.copies == 0 || st.copies < c.copies) && (c.size == 0 || counted.n < c.size) && ctx.Err() == nil
	}
	var h cursors
	admit := func() error {
		pkts, nsip, nrtp, err := clonePackets(tpl, st.copies, startOf(st.copies), c.talk, c.rtp)
		if err != nil {
			return err
		}
		st.copies++
		st.sip += nsip
		st.rtp += nrtp
		heap.Push(&h, &cursor{pkts: pkts})
		return nil
	}
	if err := admit(); err != nil {
		return st, err
	}
	for h.Len() > 0 {
		for more() && !startOf(st.copies).After(h[0].pkts[h[0].i].Time) {
			if err := admit(); err != nil {
				return st, err
			}
		}
		cur := h[0]
		w.Packet(cur.pkts[cur.i])
		cur.i++
		if cur.i == len(cur.pkts) {
			heap.Pop(&h)
		} else {
			heap.Fix(&h, 0)
		}
		if h.Len() == 0 && more() {
			if err := admit(); err != nil {
				return st, err
			}
		}
	}
	if err := w.Close(); err != nil {
		return st, err
	}
	return st, ctx.Err()
}

// clonePackets is copy i as packets in time order, with its RTP.
func clonePackets(tpl *capmut.Template, i int, start time.Time, talk time.Duration, withRTP bool) ([]pcapio.Packet, int, int, error) {
	msgs, err := tpl.Clone(i, start)
	if err != nil {
		return nil, 0, 0, err
	}
	if talk > 0 {
		if at := slices.IndexFunc(msgs, isBYE); at >= 0 {
			for j := at; j < len(msgs); j++ {
				msgs[j].Time = msgs[j].Time.Add(talk)
			}
		}
	}
	pkts := make([]pcapio.Packet, 0, len(msgs))
	for _, m := range msgs {
		pkts = append(pkts, pcapio.Packet{Time: m.Time, Proto: m.Proto, Src: m.Src, Dst: m.Dst, Payload: []byte(m.Msg.String())})
	}
	if len(pkts) == 0 {
		return nil, 0, 0, fmt.Errorf("copy %d: no message", i)
	}
	nsip, nrtp := len(pkts), 0
	if withRTP {
		for _, md := range capmut.MediaOf(msgs) {
			stream, err := rtpStream(md)
			if err != nil {
				return nil, 0, 0, err
			}
			nrtp += len(stream)
			pkts = mergeByTime(pkts, stream)
		}
	}
	return pkts, nsip, nrtp, nil
}

func isBYE(m sipwire.Message) bool {
	r, ok := m.Msg.(*sip.Request)
	return ok && r.Method == sip.BYE
}

// rtpStream is 20 ms G.711 packets each way between md.A and md.B.
func rtpStream(md capmut.Media) ([]pcapio.Packet, error) {
	payload := make([]byte, rtpPayload)
	for i := range payload {
		payload[i] = 0xff // µ-law silence
	}
	var out []pcapio.Packet
	n := 0
	for t := md.From.Add(rtpPtime); t.Before(md.To); t = t.Add(rtpPtime) {
		for dir := range 2 {
			p := rtp.Packet{
				Header: rtp.Header{
					Version:        2,
					PayloadType:    0,
					SequenceNumber: uint16(n),
					Timestamp:      uint32(n * rtpPayload),
					SSRC:           md.SSRC ^ uint32(dir)<<31,
				},
				Payload: payload,
			}
			b, err := p.Marshal()
			if err != nil {
				return nil, fmt.Errorf("rtp: %w", err)
			}
			src, dst := md.A, md.B
			if dir == 1 {
				src, dst = md.B, md.A
			}
			out = append(out, pcapio.Packet{Time: t, Proto: pcapio.ProtoUDP, Src: src, Dst: dst, Payload: b})
		}
		n++
	}
	return out, nil
}

// mergeByTime merges two time-ordered packet lists (a first on ties).
func mergeByTime(a, b []pcapio.Packet) []pcapio.Packet {
	out := make([]pcapio.Packet, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		if b[j].Time.Before(a[i].Time) {
			out = append(out, b[j])
			j++
		} else {
			out = append(out, a[i])
			i++
		}
	}
	out = append(out, a[i:]...)
	return append(out, b[j:]...)
}

// cursor is one copy being written.
type cursor struct {
	pkts []pcapio.Packet
	i    int
}

// cursors is a min-heap by next packet time.
type cursors []*cursor

func (h cursors) Len() int           { return len(h) }
func (h cursors) Less(a, b int) bool { return h[a].pkts[h[a].i].Time.Before(h[b].pkts[h[b].i].Time) }
func (h cursors) Swap(a, b int)      { h[a], h[b] = h[b], h[a] }
func (h *cursors) Push(x any)        { *h = append(*h, x.(*cursor)) }
func (h *cursors) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
