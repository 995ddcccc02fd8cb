package phone

import (
	"testing"

	"pbxlab/internal/memnet"
	"pbxlab/internal/rawudp"
)

// TestAgentSocketIsRaw: an Agent's own UDP socket gets the raw reads and
// writes of internal/rawudp; one from Config.ListenPacket is used as it is.
func TestAgentSocketIsRaw(t *testing.T) {
	a, err := NewAgent(Config{LocalIP: loopback})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, ok := a.udp.(*rawudp.Conn); !ok {
		t.Errorf("the Agent's socket is a %T, want *rawudp.Conn", a.udp)
	}
	mn := memnet.New()
	b, err := NewAgent(Config{LocalIP: loopback, ListenPacket: mn.ListenPacket})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, ok := b.udp.(*rawudp.Conn); ok {
		t.Error("a socket of Config.ListenPacket was wrapped")
	}
}
