package vnet

import (
	"log/slog"
	"net/netip"

	"pbxlab/internal/memnet"
	"pbxlab/pbx"
)

// Option configures Start.
type Option func(*options)

type options struct {
	pbxAddr netip.AddrPort
	store   string
	log     *slog.Logger
	network []memnet.Option
	pbx     []pbx.Option
	settle  func()
	// media keeps the configuration's media section (else: direct, no timeout)
	media bool
}

// WithPBXAddr sets the PBX's UDP address (default 127.0.0.1:5060; the demo
// configuration refuses non-loopback addresses).
// An IPv6 address makes every phone IPv6 too.
func WithPBXAddr(ap netip.AddrPort) Option { return func(o *options) { o.pbxAddr = ap } }

// WithStore puts the PBX's SQLite store in the file at path (default: a
// private in-memory database).
func WithStore(path string) Option { return func(o *options) { o.store = path } }

// WithLogger logs the PBX and the phones to l (default: discard).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithNetwork configures the in-memory network (queue length, Filter).
func WithNetwork(opts ...memnet.Option) Option {
	return func(o *options) { o.network = append(o.network, opts...) }
}

// WithPBXOptions adds options to the PBX (after the harness's own logger
// and packet listener, so they may override the logger).
func WithPBXOptions(opts ...pbx.Option) Option {
	return func(o *options) { o.pbx = append(o.pbx, opts...) }
}

// WithSettle runs settle before each cleanup closes a phone, a socket or the
// PBX. Pass testing/synctest.Wait: every message in flight is then handled
// before its receiver closes (a sipgo transaction answering on a closed
// socket would open a real one, which stops virtual time).
func WithSettle(settle func()) Option { return func(o *options) { o.settle = settle } }

// WithMedia keeps the media section of cfg as it is. By default Start sets
// media.anchor to direct and media.timeout to 0: the harness's phones are
// signalling-only (they send no RTP, so every call would hit the media
// timeout) and SIP-level tests see the SDP they sent. With WithMedia the
// PBX anchors calls (relay, the default) on the in-memory network, so the
// anchor's SDP and the media timeout can be tested in virtual time.
func WithMedia() Option { return func(o *options) { o.media = true } }
