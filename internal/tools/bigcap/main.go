// Command bigcap writes a large capture by cloning a template capture (a
// golden one: pcaps/golden/*.pcapng) many times: each copy's Call-IDs,
// tags and branches get a suffix of their own, its parties (every address
// but the SUT's) move to addresses of their own (127.0.0.2 and up, ports
// 10000–59999), its times are shifted, and copies overlap K at a time
// (-concurrent). With -rtp each answered dialog carries synthetic G.711
// RTP (20 ms packets both ways between the two ends' SDP addresses) from
// its 2xx to its BYE. It is the input of the replay's throughput and
// memory figures (scripts/replay-figures.sh).
//
//	go run ./internal/tools/bigcap -template pcaps/golden/basic-call.pcapng -dialogs 1000 -o /tmp/big.pcapng
//	go run ./internal/tools/bigcap -template pcaps/golden/basic-call.pcapng -size 1GB -rtp -concurrent 50 -o /tmp/1g.pcapng
//
// It prints what it wrote: copies, dialogs (copies × the template's
// Call-IDs), SIP messages, RTP packets, bytes and the time it took.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bigcap:", err)
		os.Exit(1)
	}
}
