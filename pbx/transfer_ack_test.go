package pbx_test

import (
	"bytes"
	"context"
	"net"
	"testing"
	"time"

	"pbxlab/pbx/pbxtest"
	"pbxlab/sim/phone"
)

// lateACKConn sends every ACK late: a REFER the phone sends right after an
// ACK then reaches the PBX first.
type lateACKConn struct {
	net.PacketConn
	delay time.Duration
}

func (c *lateACKConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	if bytes.HasPrefix(b, []byte("ACK ")) {
		msg := bytes.Clone(b)
		time.AfterFunc(c.delay, func() { _, _ = c.PacketConn.WriteTo(msg, addr) })
		return len(b), nil
	}
	return c.PacketConn.WriteTo(b, addr)
}

// TestTransferAttendedReferBeforeAck: the transferor's REFER with Replaces
// reaches the PBX before the ACK of the consultation call it names (the
// two are handled in goroutines of their own, and UDP may reorder them).
// The PBX waits for that ACK (it must not BYE the named leg before it,
// RFC 3261 §15) and the transfer succeeds, instead of NOTIFY 491.
func TestTransferAttendedReferBeforeAck(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	in := startPBX(t, nil, pbxtest.Options{})
	late := phone.Config{ListenPacket: func(network, address string) (net.PacketConn, error) {
		pc, err := net.ListenPacket(network, address)
		if err != nil {
			return nil, err
		}
		return &lateACKConn{PacketConn: pc, delay: 300 * time.Millisecond}, nil
	}}
	a := registered(ctx, t, in.Target(), late, "1000")["1000"]
	ps := registered(ctx, t, in.Target(), phone.Config{}, "1001", "1002")
	a1, b := talk(ctx, t, a, ps["1001"])
	if err := a1.Hold(ctx); err != nil {
		t.Fatal(err)
	}
	a2, c := talk(ctx, t, a, ps["1002"])
	code, err := a1.TransferTo(ctx, a2) // its REFER leaves before a2's ACK
	if err != nil || code != 200 {
		t.Fatalf("attended transfer = %d, %v; want 200", code, err)
	}
	expectJoined(ctx, t, b, c, "1001", "1002")
	if err := b.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	if end, err := c.Wait(ctx); err != nil || end.Reason != phone.ReasonBye {
		t.Errorf("C end = %+v, %v", end, err)
	}
}
