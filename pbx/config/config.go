// Package config loads, validates and prints the pbxlab configuration.
//
// A configuration is a YAML file (gopkg.in/yaml.v3) decoded strictly: an
// unknown field, a value of the wrong type or an invalid value is an error
// that names the file, the line and the field path, for example
//
//	pbx.yaml:12: sip.listen[1]: unknown transport "sctp" (want udp or tcp)
//
// Every field has a default (see Defaults); an empty file, or a field whose
// value is empty (null), keeps the default. Lists given in the file replace
// the default list. Durations are Go duration strings ("90s", "5m"); the
// *_expires fields also take a plain integer meaning seconds.
//
// See README.md in this directory for the field reference.
package config

import (
	"log/slog"
	"time"
)

// Config is the whole pbxlab configuration. Parse and Load return a
// validated Config; a Config built or changed in Go should be checked with
// Validate.
type Config struct {
	// SIP holds the listen addresses and transaction timers.
	SIP SIP `yaml:"sip"`
	// Auth holds the digest authentication realms (RFC 3261 §22, RFC 7616).
	Auth Auth `yaml:"auth"`
	// Registrar bounds REGISTER expiry (RFC 3261 §10.3).
	Registrar Registrar `yaml:"registrar"`
	// Call holds call-handling settings.
	Call Call `yaml:"call"`
	// Media is the media server: anchored RTP, ports, media timeout.
	Media Media `yaml:"media"`
	// Voicemail is the mailboxes: deposit, retrieval number, MWI.
	Voicemail Voicemail `yaml:"voicemail"`
	// Store is the location database.
	Store Store `yaml:"store"`
	// Capture is a pcapng file that receives every SIP message; "" turns
	// capture off. Default "".
	Capture string `yaml:"capture"`
	// Log sets the log level and format.
	Log Log `yaml:"log"`
	// Admin is the HTTP admin and metrics endpoint.
	Admin Admin `yaml:"admin"`
	// Memory sets how the process gives memory back after bursts.
	Memory Memory `yaml:"memory"`
	// Runtime sets how the process uses its processors.
	Runtime Runtime `yaml:"runtime"`
	// ExplicitSubscribers are subscribers listed one by one (YAML key
	// "subscribers"). Default none. Use the Subscribers method for the
	// complete, expanded population.
	ExplicitSubscribers []Subscriber `yaml:"subscribers"`
	// SubscriberRanges are compact populations of numbered subscribers.
	// Default none.
	SubscriberRanges []SubscriberRange `yaml:"subscriber_ranges"`
	// TrustedPeers are IP-authenticated peers (trunks) whose requests are
	// not challenged. Default none.
	TrustedPeers []TrustedPeer `yaml:"trusted_peers"`
	// Peers are servers the PBX sends to (carriers, other PBXs): where,
	// how, with which credentials, and whether it qualifies them. Default
	// none.
	Peers []Peer `yaml:"peers"`
	// Routes are ordered lists of peers a call goes out through (number
	// analysis entries of kind route name one). Default none.
	Routes []Route `yaml:"routes"`
	// DNS is how the PBX finds the servers of a host name (peers, static
	// contacts): RFC 3263 NAPTR, SRV, A/AAAA.
	DNS DNS `yaml:"dns"`
	// Conferences are the rooms of the conference bridge, by number.
	// Default none.
	Conferences []Conference `yaml:"conferences"`
	// Recording is where recorded calls go (subscribers[].record).
	Recording Recording `yaml:"recording"`
	// IVRs are the auto-attendants (IVR menus from YAML files), reachable
	// by their numbers. Default none.
	IVRs []IVR `yaml:"ivrs"`
	// Numbering is the location server's numbering plan: locations,
	// number analysis, substitution rules (see Numbering).
	Numbering Numbering `yaml:"numbering"`
	// Services are the call services: their srv-switch switches and each
	// service's settings (see Services).
	Services Services `yaml:"services"`

	// src remembers where the configuration came from so that Validate
	// can name the file and line of a field. Nil for a Config built in Go.
	src *source
}

// SIP is the "sip" section.
type SIP struct {
	// Listen lists the SIP listen addresses as "transport:host:port" with
	// transport udp or tcp and host an IP literal; IPv6 is written
	// "udp:[::1]:5060". Port 0 picks an ephemeral port (tests). An entry may
	// end with "advertise IP[:PORT]" (as in Kamailio), the address put in
	// Via and Contact of what the PBX sends from it, e.g.
	// "udp:0.0.0.0:5060 advertise 203.0.113.5:5060"; without it a specific
	// listen address advertises itself and 0.0.0.0 or :: advertises the
	// local address the kernel picks to reach each peer. At least one entry
	// is required. Default ["udp:127.0.0.1:5060", "tcp:127.0.0.1:5060"].
	Listen []string `yaml:"listen"`
	// UserAgent is sent in the User-Agent and Server headers. Default "pbxlab".
	UserAgent string `yaml:"user_agent"`
	// T1 is the RFC 3261 §17.1.1.1 round-trip estimate; it starts the 2xx
	// retransmission interval (RFC 3261 §13.3.1.4) and, where `pbxlab serve`
	// runs the PBX, sipgo's transaction timers (A, B, E, F, G, H, J, L, M),
	// which are per process (internal/sipstack). Must be > 0. Default 500ms.
	T1 time.Duration `yaml:"t1"`
	// T2 caps the 2xx retransmission interval (RFC 3261 §13.3.1.4) and the
	// retransmission of non-INVITE requests and INVITE responses (per
	// process, like T1). Must be greater than T1. Default 4s.
	T2 time.Duration `yaml:"t2"`
	// T4 is the longest a message stays in the network (RFC 3261 §17.1.2.2):
	// sipgo's Timer I and K, per process like T1. Must be > 0. Default 5s.
	T4 time.Duration `yaml:"t4"`
	// SessionTimers are the RFC 4028 session timers of every leg, unless
	// the subscriber or outbound peer of the leg overrides them
	// (sessiontimers.go). Default {expires: 0, min_se: 90, refresher: auto}.
	SessionTimers SessionTimers `yaml:"session_timers"`
	// SourceLimits bound what one source address may send (a flood from
	// one address is dropped unread). Default off.
	SourceLimits SourceLimits `yaml:"source_limits"`
}

// Auth is the "auth" section.
type Auth struct {
	// NonceTTL is how long a digest nonce is accepted; after it the
	// challenge is repeated with stale=true (RFC 7616 §3.3). Must be > 0.
	// Default 5m.
	NonceTTL time.Duration `yaml:"nonce_ttl"`
	// Realms are the digest realms; at least one, names unique. The first
	// is the default realm. Default [{name: pbxlab, algorithms: [MD5, SHA-256]}].
	Realms []Realm `yaml:"realms"`
	// NonceSecret is the HMAC key of the digest nonces: PBX nodes sharing
	// it (and the realm) accept each other's nonces. 32 to 1024
	// characters, no control characters. "" (the default) generates one
	// at the first start and keeps it in the store, so nonces survive a
	// restart (with store.path "" it lives as long as the process). Never
	// logged; --print-config shows RedactedSecret.
	NonceSecret Secret `yaml:"nonce_secret"`
}

// Algorithm is a digest algorithm name as written in the algorithm
// parameter of a challenge (RFC 7616 §3.3).
type Algorithm string

// The supported digest algorithms.
const (
	AlgorithmMD5    Algorithm = "MD5"
	AlgorithmSHA256 Algorithm = "SHA-256"
)

// Realm is one digest realm.
type Realm struct {
	// Name is the realm string of the challenge; non-empty, unique, without
	// quotes, backslashes or control characters. No default inside a list
	// entry (required).
	Name string `yaml:"name"`
	// Algorithms are offered as one challenge each, in this order
	// (RFC 8760); each MD5 or SHA-256, no duplicates.
	// Default [MD5, SHA-256].
	Algorithms []Algorithm `yaml:"algorithms"`
}

// applyDefaults sets the defaults of a realm list entry before decoding.
func (r *Realm) applyDefaults() { r.Algorithms = defaultAlgorithms() }

// Registrar is the "registrar" section. The expiry fields take a plain
// integer (seconds) or a duration string and must be whole seconds.
type Registrar struct {
	// MinExpires is the shortest registration accepted; shorter non-zero
	// requests get 423 Interval Too Brief (RFC 3261 §10.3 step 7).
	// At least 1s and at most DefaultExpires. Default 60.
	MinExpires time.Duration `yaml:"min_expires" unit:"s"`
	// MaxExpires caps the granted expiry. At least DefaultExpires and at
	// most 4294967295 seconds (RFC 3261 §20.19). Default 3600.
	MaxExpires time.Duration `yaml:"max_expires" unit:"s"`
	// DefaultExpires is granted when a REGISTER names no expiry.
	// Default 3600.
	DefaultExpires time.Duration `yaml:"default_expires" unit:"s"`
	// PurgeInterval is how often expired bindings are removed. Must be > 0.
	// Default 30s.
	PurgeInterval time.Duration `yaml:"purge_interval"`
	// Keepalive sends an OPTIONS to every registered UDP contact this
	// often, so that the NAT in front of a phone keeps the mapping the PBX
	// calls it through open (Kamailio's nathelper pings); the answer does
	// not matter. 0 turns it off; else at least 5s. Default 0.
	Keepalive time.Duration `yaml:"keepalive"`
}

// Redirect selects the redirect-server role (RFC 3261 §8.3): INVITEs are
// answered with a 3xx that carries the registered contacts instead of being
// proxied.
type Redirect string

// Redirect values. RedirectInherit is only valid for a subscriber, where it
// means "follow call.redirect".
const (
	RedirectInherit   Redirect = ""
	RedirectOff       Redirect = "off"
	RedirectPermanent Redirect = "301"
	RedirectTemporary Redirect = "302"
)

// StatusCode returns 301 or 302, or 0 when the value does not redirect.
func (r Redirect) StatusCode() int {
	switch r {
	case RedirectPermanent:
		return 301
	case RedirectTemporary:
		return 302
	default:
		return 0
	}
}

// Call is the "call" section.
type Call struct {
	// NoAnswerTimeout ends an unanswered call with 408 after this long.
	// Must be > 0. Default 60s.
	NoAnswerTimeout time.Duration `yaml:"no_answer_timeout"`
	// ShutdownGrace is how long calls may continue after SIGTERM; calls
	// still up after it get a BYE. Must be >= 0. Default 5s.
	ShutdownGrace time.Duration `yaml:"shutdown_grace"`
	// Redirect is the global redirect-server role: off, 301 or 302.
	// Default off.
	Redirect Redirect `yaml:"redirect"`
	// MaxForwards is the Max-Forwards value put on requests the PBX
	// originates (RFC 3261 §8.1.1.6), 1..255. Default 70.
	MaxForwards int `yaml:"max_forwards"`
	// Offer100rel puts Supported: 100rel on the INVITEs the PBX sends, so
	// callees may send reliable provisional responses, which the PBX
	// PRACKs (RFC 3262). false leaves 100rel out of them (for callees that
	// mishandle it); callers are served per RFC 3262 either way. Default true.
	Offer100rel bool `yaml:"offer_100rel"`
}

// Store is the "store" section.
type Store struct {
	// Path is the SQLite file of the location database; "" keeps it in
	// memory (lost at exit). Default "".
	Path string `yaml:"path"`
	// CommitDelay is the group-commit window under load: a write that is
	// waited for (a REGISTER's binding before its 200, a call's final
	// CDR) waits up to this long for others to share its commit, but only
	// when the previous commit ended less than this long ago, and no
	// longer than it takes 32 writes to gather; writes further apart
	// commit at once. A REGISTER's 200 still means its binding is
	// committed. 0 commits every write at once. Default 10ms. 50ms costs
	// 23 % less CPU per REGISTER at 1,000/s, but the writes of one AOR
	// wait that long for each other: after a TCP connection drops, its
	// bindings' removal holds the phone's new REGISTER up to 50 ms, and a
	// call arriving meanwhile finds the phone unreachable (README, "SIP
	// signalling: make bench").
	CommitDelay time.Duration `yaml:"commit_delay"`
}

// Log is the "log" section.
type Log struct {
	// Level is debug, info, warn or error. Default info.
	Level string `yaml:"level"`
	// Format is text or json. Default text.
	Format string `yaml:"format"`
}

// SlogLevel returns Level as a slog.Level (info for an unknown value).
func (l Log) SlogLevel() slog.Level {
	switch l.Level {
	case "debug":
		return slog.LevelDebug
	case "warn":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	default:
		return slog.LevelInfo
	}
}

// Admin is the "admin" section.
type Admin struct {
	// Listen is the host:port of the HTTP admin and metrics server; "" turns
	// it off. Example "127.0.0.1:8080". Default "".
	Listen string `yaml:"listen"`
	// Token is the bearer token of the admin API (/api/v1/..., e.g. the
	// subscriber management of /api/v1/subscribers): requests must send
	// "Authorization: Bearer TOKEN". 16 to 1024 characters, no spaces or
	// control characters. "" (the default) turns the API off: its paths
	// answer 403 (/metrics and /healthz stay open). pbxlab serve takes it
	// from --admin-token-file or $PBXLAB_ADMIN_TOKEN when given. Never
	// logged; --print-config shows RedactedSecret.
	Token Secret `yaml:"token"`
	// Pprof serves the Go profiler (net/http/pprof) under /debug/pprof/ on
	// the admin listener, open like /metrics: CPU, heap, allocation and
	// goroutine profiles for `go tool pprof`. Needs admin.listen; keep the
	// listener on loopback when it is on. Default false (the paths answer
	// 404).
	Pprof bool `yaml:"pprof"`
}

// Memory is the "memory" section.
type Memory struct {
	// ReleaseWhenQuiet gives back to the operating system the heap a burst
	// (a registration storm, a call spike) left behind, once the PBX has
	// allocated little for 64*T1 after it (the life of the transactions
	// and replayed responses the burst left): one full garbage collection
	// per burst (pbx/internal/memreturn). false keeps the memory mapped
	// for the next burst (Go's scavenger then returns only what lies above
	// twice the live heap, slowly). Default true.
	ReleaseWhenQuiet bool `yaml:"release_when_quiet"`
}

// Runtime is the "runtime" section.
type Runtime struct {
	// AdaptiveProcs runs the process on one Go processor (GOMAXPROCS 1)
	// while its load fits one core, and on all of them (the GOMAXPROCS it
	// started with) once it used 0.95 of that core for a second, back
	// after 4 s below 0.6 cores (internal/procs): at moderate load the idle
	// processor's threads,
	// woken at every hand-over between goroutines, cost a quarter to a
	// third of the CPU per call. Applied by pbxlab serve, not by a PBX
	// built into another program (GOMAXPROCS is per process), and not when
	// the GOMAXPROCS environment variable is set. Default true.
	AdaptiveProcs bool `yaml:"adaptive_procs"`
}

// Subscriber is one subscriber (an entry of "subscribers", or a number
// expanded from a range by Config.Subscribers).
type Subscriber struct {
	// Number is the user part, digits only (1 to 32), unique across
	// subscribers and ranges. Required.
	Number string `yaml:"number"`
	// Password is the digest password; optional when Contacts is given (the
	// subscriber then cannot register). Default "".
	Password string `yaml:"password"`
	// Realm names one of auth.realms; "" means the default realm.
	// Default "".
	Realm string `yaml:"realm"`
	// Redirect overrides call.redirect for calls to this subscriber:
	// "" (follow call.redirect), off, 301 or 302. Default "".
	Redirect Redirect `yaml:"redirect"`
	// Contacts are static contacts (sip: URIs) used in addition to
	// registered ones. Default none.
	Contacts []string `yaml:"contacts"`
	// DisplayName is the display name used in From headers of calls from
	// this subscriber. Default "".
	DisplayName string `yaml:"display_name"`
	// MediaAnchor overrides media.anchor for this subscriber's calls:
	// "" (follow media.anchor), relay or direct. Default "".
	MediaAnchor Anchor `yaml:"media_anchor"`
	// DigestURI is how the digest uri of this subscriber's credentials must
	// match the Request-URI: strict ("" or strict: scheme, user, host and
	// port, RFC 3261 §22.4; a mismatch is answered 400 as RFC 2617
	// §3.2.2.5 says) or host (scheme, host and port only: for tools such
	// as SIPp that send uri=sip:host:port). Default "".
	DigestURI DigestURI `yaml:"digest_uri"`
	// FollowRedirects makes the PBX follow a 3xx that this subscriber's
	// phone answers a call with (a phone forwarding by redirect): the caller
	// gets 181 and the call rings the 3xx's contacts, with a Diversion
	// header; false relays the 3xx to the caller. Default false.
	FollowRedirects bool `yaml:"follow_redirects"`
	// Record records every call this subscriber makes or receives to a
	// WAV file in recording.dir (the call is anchored whatever
	// MediaAnchor says). Default false.
	Record bool `yaml:"record"`
	// Voicemail is the subscriber's mailbox. Default none.
	Voicemail SubscriberVoicemail `yaml:"voicemail"`
	// Device binds the subscriber's number to a device of numbering.devices
	// (a gateway or office gateway of the LS domain): the number is at that
	// device's location (country and area code) for number analysis and
	// substitution, and its rules apply. "" binds it to the PBX itself.
	// Default "".
	Device string `yaml:"device"`
	// SessionTimers override sip.session_timers for the legs to and from
	// this subscriber (zero fields: the global value). Default none.
	SessionTimers SessionTimers `yaml:"session_timers"`
	// CLIR restricts the presentation of the subscriber's number on every
	// call it makes (calling line identification restriction): the callee
	// sees From "Anonymous" <sip:anonymous@anonymous.invalid> and a
	// Privacy: id header (RFC 3323); a peer with caller_id.pai still gets
	// the number in P-Asserted-Identity (RFC 3325). A phone restricts one
	// call the same way by sending Privacy: id or an anonymous From.
	// Default false.
	CLIR bool `yaml:"clir"`
}

// DigestURI is a subscriber's digest uri check.
type DigestURI string

// DigestURI values.
const (
	DigestURIStrict DigestURI = "strict"
	DigestURIHost   DigestURI = "host"
)

// SubscriberRange is a compact population from From to To inclusive.
type SubscriberRange struct {
	// From is the first number, digits only (1 to 18). Required.
	From string `yaml:"from"`
	// To is the last number; same digit count as From and not below it.
	// Leading zeros are kept. Required.
	To string `yaml:"to"`
	// Password is the password of every number in the range; "{n}" is
	// replaced by the number. Required.
	Password string `yaml:"password"`
}

// TrustedPeer is a peer authenticated by its source address.
type TrustedPeer struct {
	// Name identifies the peer in logs; non-empty and unique. Required.
	Name string `yaml:"name"`
	// Address is an IP address or a CIDR prefix. Required.
	Address string `yaml:"address"`
}

// MaxSubscribers bounds the number of subscribers (explicit plus expanded
// ranges) a configuration may define.
const MaxSubscribers = 1_000_000

// DefaultRealmName is the name of the realm of Defaults.
const DefaultRealmName = "pbxlab"

func defaultAlgorithms() []Algorithm {
	return []Algorithm{AlgorithmMD5, AlgorithmSHA256}
}

// Defaults returns the configuration used for every field the file leaves
// out. It has no subscribers.
func Defaults() *Config {
	return &Config{
		SIP: SIP{
			Listen:        []string{"udp:127.0.0.1:5060", "tcp:127.0.0.1:5060"},
			UserAgent:     "pbxlab",
			T1:            500 * time.Millisecond,
			T2:            4 * time.Second,
			T4:            5 * time.Second,
			SessionTimers: defaultSessionTimers(),
			SourceLimits:  defaultSourceLimits(),
		},
		Auth: Auth{
			NonceTTL: 5 * time.Minute,
			Realms:   []Realm{{Name: DefaultRealmName, Algorithms: defaultAlgorithms()}},
		},
		Registrar: Registrar{
			MinExpires:     60 * time.Second,
			MaxExpires:     3600 * time.Second,
			DefaultExpires: 3600 * time.Second,
			PurgeInterval:  30 * time.Second,
		},
		Call: Call{
			NoAnswerTimeout: 60 * time.Second,
			ShutdownGrace:   5 * time.Second,
			Redirect:        RedirectOff,
			MaxForwards:     70,
			Offer100rel:     true,
		},
		Media:     defaultMedia(),
		Voicemail: defaultVoicemail(),
		Log:       Log{Level: "info", Format: "text"},
		Memory:    Memory{ReleaseWhenQuiet: true},
		Runtime:   Runtime{AdaptiveProcs: true},
		Store:     Store{CommitDelay: 10 * time.Millisecond},
		DNS:       DNS{Timeout: 2 * time.Second},
		Services:  defaultServices(),
	}
}
