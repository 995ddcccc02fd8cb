// Package sipprobe tells when a SIP server is ready: it sends OPTIONS
// (RFC 3261 §11) until any response comes back. A container's UDP port
// cannot be port-waited (nothing answers a UDP connect) and a scratch
// image has no shell to run a check inside, so readiness of the PBX's
// container is asked over SIP itself. Any final response counts — 200, or
// a 4xx from a server that does not like OPTIONS: the server is up.
package sipprobe

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/testua"
)

// Attempt bounds one OPTIONS transaction; the probe retries until its
// context ends.
const Attempt = 500 * time.Millisecond

// pause is the wait between attempts that failed at once (a TCP dial
// refused).
const pause = 100 * time.Millisecond

// Probe sends OPTIONS to addr over transport ("udp" or "tcp") until a final
// response arrives, and returns it; it fails when ctx ends first, with the
// last error.
func Probe(ctx context.Context, addr netip.AddrPort, transport string, log *slog.Logger) (*sip.Response, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if transport == "" {
		transport = "udp"
	}
	if transport != "udp" && transport != "tcp" {
		return nil, fmt.Errorf("probe %s: %w: transport %q", addr, ErrUsage, transport)
	}
	var last error
	for n := 1; ; n++ {
		res, err := attempt(ctx, addr, transport)
		if err == nil {
			log.Debug("sip probe answered", "addr", addr, "transport", transport, "attempts", n, "status", res.StatusCode)
			return res, nil
		}
		last = err
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("probe %s over %s (%d attempts): %w: %w", addr, transport, n, ErrNotReady, errors.Join(ctx.Err(), last))
		case <-time.After(pause):
		}
	}
}

// attempt opens a UA (a UDP socket, or a TCP connection), sends one
// OPTIONS and waits Attempt for its final response.
func attempt(ctx context.Context, addr netip.AddrPort, transport string) (*sip.Response, error) {
	ua, err := testua.New(testua.Config{Transport: transport, PBX: addr, User: "probe"}, testua.WithRetransmit())
	if err != nil {
		return nil, fmt.Errorf("open probe ua: %w", err)
	}
	defer ua.Close()
	actx, cancel := context.WithTimeout(ctx, Attempt)
	defer cancel()
	req := ua.NewRequest(sip.OPTIONS, "sip:"+addr.String())
	res, err := ua.Do(actx, req)
	if err != nil {
		return nil, fmt.Errorf("send options: %w", err)
	}
	return res, nil
}
