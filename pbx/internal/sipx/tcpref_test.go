package sipx

import (
	"net"
	"testing"

	"github.com/emiago/sipgo/sip"
)

// TestSipgoTCPRefNegativeAfterClose reproduces the sipgo v1.7.3 bug of
// docs/upstream/sipgo-tcp-ref-negative.md: TCPConnection.Close resets the
// reference count to 0 while transactions still hold references, so each
// of them then drives it below zero when it ends (sipgo logs "TCP ref went
// negative" at Warn). It pins sipgo's current behaviour: when it fails,
// sipgo fixed the bug and the note can go.
func TestSipgoTCPRefNegativeAfterClose(t *testing.T) {
	a, b := net.Pipe()
	defer b.Close()
	c := &sip.TCPConnection{Conn: a}
	c.Ref(1)                          // the transport layer's own reference (connection pool)
	c.Ref(1)                          // a server transaction on this connection
	if err := c.Close(); err != nil { // the peer hung up: the reader closes it
		t.Fatal(err)
	}
	// the transaction ends (Timer J, or its Terminate) and releases its reference
	if ref, err := c.TryClose(); ref != 0 || err != nil {
		t.Fatalf("TryClose = %d, %v", ref, err)
	}
	if ref := c.Ref(0); ref != -1 {
		t.Fatalf("refcount after Close and one release = %d; sipgo's bug gives -1 (fixed upstream? update docs/upstream/sipgo-tcp-ref-negative.md)", ref)
	}
}
