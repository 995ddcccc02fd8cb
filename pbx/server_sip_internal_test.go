package pbx

import (
	"net"
	"testing"

	"pbxlab/internal/memnet"
	"pbxlab/internal/rawudp"
	"pbxlab/pbx/config"
)

// TestBindRawUDP: a UDP listener of the kernel gets the raw reads and
// writes of internal/rawudp; a socket from WithPacketListener that is not
// the kernel's (an in-memory network) is used as it is.
func TestBindRawUDP(t *testing.T) {
	la, err := config.ParseListenAddr("udp:127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l, err := bind(la, net.ListenPacket)
	if err != nil {
		t.Fatal(err)
	}
	defer l.pc.Close()
	if _, ok := l.pc.(*rawudp.Conn); !ok {
		t.Errorf("a kernel UDP listener is a %T, want *rawudp.Conn", l.pc)
	}
	mn := memnet.New()
	l2, err := bind(la, mn.ListenPacket)
	if err != nil {
		t.Fatal(err)
	}
	defer l2.pc.Close()
	if _, ok := l2.pc.(*rawudp.Conn); ok {
		t.Error("an in-memory listener was wrapped")
	}
}
