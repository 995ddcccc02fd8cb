package phone

import (
	"fmt"
	"net"
	"slices"
	"sync"
	"testing"
	"time"
)

// TestListenMedia: Config.ListenMedia opens every call's RTP socket, told
// the phone's number and the stream's index among that phone's (0, 1, …
// for its successive calls, caller and callee alike), and the call's media
// runs on the socket it returns.
func TestListenMedia(t *testing.T) {
	checkLeaks(t)
	ctx := testCtx(t, 15*time.Second)
	var mu sync.Mutex
	var opened []string
	listen := func(number string, stream uint64, network, address string) (net.PacketConn, error) {
		pc, err := net.ListenPacket(network, address)
		if err == nil && pc.LocalAddr().(*net.UDPAddr).Port%2 == 0 {
			mu.Lock()
			opened = append(opened, fmt.Sprintf("%s/%d", number, stream))
			mu.Unlock()
		}
		return pc, err
	}
	agent := newTestAgent(t, Config{ListenMedia: listen})
	a := newTestPhone(t, agent, PhoneConfig{Number: "9000"})
	b, inc := callee(t, agent, "9001", AnswerMode{Behaviour: Answer})
	for range 2 {
		out, in := answered(t, ctx, a, b, inc)
		if tw, err := VerifyTwoWay(testCtx(t, 5*time.Second), out, in); err != nil {
			t.Fatalf("two-way: %v %+v", err, tw)
		}
		if err := out.Hangup(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := in.Wait(ctx); err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	slices.Sort(opened)
	if want := []string{"9000/0", "9000/1", "9001/0", "9001/1"}; !slices.Equal(opened, want) {
		t.Fatalf("media sockets opened for %v, want %v", opened, want)
	}
}
