package pcapio

import "net/netip"

// Synthetic initial sequence numbers (RFC 9293 §3.4.1). Fixed values keep
// captures reproducible; Wireshark shows relative numbers anyway.
const (
	clientISN uint32 = 1000
	serverISN uint32 = 5000
)

// flowKey names a TCP connection regardless of direction: a <= b.
type flowKey struct{ a, b netip.AddrPort }

func keyOf(x, y netip.AddrPort) flowKey {
	if x.Compare(y) > 0 {
		x, y = y, x
	}
	return flowKey{x, y}
}

// tcpFlow is the writer's view of one synthetic TCP connection. ends[0] is
// the client (it sent the SYN); seq[i] is the next sequence number ends[i]
// sends; fin[i] records that ends[i] has sent its FIN.
type tcpFlow struct {
	ends [2]netip.AddrPort
	seq  [2]uint32
	fin  [2]bool
}

func (fl *tcpFlow) index(src netip.AddrPort) int {
	if fl.ends[0] == src {
		return 0
	}
	return 1
}

// flowFor returns the flow between src and dst, opening it with src as the
// client if it is unknown, and src's index in it. Call with mu held.
func (w *Writer) flowFor(src, dst netip.AddrPort) (*tcpFlow, int) {
	if fl, ok := w.flows[keyOf(src, dst)]; ok {
		return fl, fl.index(src)
	}
	return w.open(src, dst), 0
}

// open records the three-way handshake (RFC 9293 §3.5) and returns the new
// established flow. Call with mu held.
func (w *Writer) open(client, server netip.AddrPort) *tcpFlow {
	fl := &tcpFlow{ends: [2]netip.AddrPort{client, server}, seq: [2]uint32{clientISN, serverISN}}
	w.flows[keyOf(client, server)] = fl
	w.segment(fl, 0, tcpSYN, nil)
	w.segment(fl, 1, tcpSYN|tcpACK, nil)
	w.segment(fl, 0, tcpACK, nil)
	return fl
}

// fin records a FIN from src and the peer's ACK (RFC 9293 §3.6); the flow
// is forgotten once both sides have sent one. Call with mu held.
func (w *Writer) fin(src, dst netip.AddrPort) {
	fl, ok := w.flows[keyOf(src, dst)]
	if !ok {
		return
	}
	from := fl.index(src)
	if fl.fin[from] {
		return
	}
	w.segment(fl, from, tcpFIN|tcpACK, nil)
	fl.fin[from] = true
	w.segment(fl, 1-from, tcpACK, nil)
	if fl.fin[1-from] {
		w.forget(fl)
	}
}

func (w *Writer) forget(fl *tcpFlow) {
	delete(w.flows, keyOf(fl.ends[0], fl.ends[1]))
}

// segment writes one segment from ends[from] and advances its sequence
// number by the payload length plus one for SYN and FIN. The initial SYN
// carries no ACK number. Call with mu held.
func (w *Writer) segment(fl *tcpFlow, from int, flags tcpFlags, payload []byte) {
	s := tcpSegment{src: fl.ends[from], dst: fl.ends[1-from], seq: fl.seq[from], flags: flags}
	if flags&tcpACK != 0 {
		s.ack = fl.seq[1-from]
	}
	frame, err := w.frames.tcp(s, payload)
	w.emit(frame, err)
	fl.seq[from] += uint32(len(payload))
	if flags&(tcpSYN|tcpFIN) != 0 {
		fl.seq[from]++
	}
}
