package phone

import (
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/clock"
	"pbxlab/internal/sdpneg"
)

// Behaviour is what a phone does with an incoming call.
type Behaviour int

// Answer behaviours.
const (
	// Answer rings (180, or 183 with early media) for Answer.Delay, then answers 200.
	Answer Behaviour = iota
	// Busy answers 486 Busy Here at once.
	Busy
	// NoAnswer rings forever; the caller's CANCEL ends it with 487.
	NoAnswer
	// Reject answers 603 Decline at once.
	Reject
	// Manual rings until the test calls Call.Answer, Call.Reject or Call.Hangup.
	Manual
)

// String returns the scenario name of the behaviour.
func (b Behaviour) String() string {
	switch b {
	case Answer:
		return "answer"
	case Busy:
		return "busy"
	case NoAnswer:
		return "no_answer"
	case Reject:
		return "reject"
	case Manual:
		return "manual"
	}
	return fmt.Sprintf("behaviour(%d)", int(b))
}

// AnswerMode configures how a phone treats incoming calls.
type AnswerMode struct {
	Behaviour Behaviour
	// Delay is how long an Answer phone rings before answering.
	Delay time.Duration
	// EarlyMedia makes a ringing phone send 183 Session Progress with SDP
	// and play its tone before answering (RFC 3960 gateway model).
	EarlyMedia bool
}

// PhoneConfig describes one simulated phone.
type PhoneConfig struct {
	// Number is the phone's user part (extension); required and unique per Agent.
	Number string
	// Username is the digest username; default Number.
	Username string
	// Password is the digest password ("" answers challenges with nothing).
	Password string
	// Expires is the registration lifetime asked for; default 3600 s.
	Expires time.Duration
	// Answer is the behaviour for incoming calls; default answer at once.
	Answer AnswerMode
	// Identity is the audio this phone sends on its calls; default
	// IdentityFor(Number). Another number's identity makes a negative
	// control: the phone passes for that number, as a misrouted call would.
	Identity Identity
	// Mute makes the phone send silence (negative control for the two-way
	// audio check: a muted phone is not heard); it still receives. Its RTP
	// keeps a NAT's mapping and a PBX's latching alive, as a real phone's
	// does; Call.StopSending sends nothing at all.
	Mute bool
	// Echo makes the phone send back the audio it receives (decoded and
	// re-encoded) instead of its identity: a looped-back stream, the
	// negative control the audio check must refuse (its own identity is
	// not the far end's).
	Echo bool
	// DeadMediaPort makes the phone's media socket send its identity but
	// never read: the far end's audio is lost, this phone's arrives
	// (one-way audio, as when a firewall drops the inbound direction). It
	// stays one-way through a PBX that latches (sends to where the phone's
	// RTP comes from): that is the same socket.
	DeadMediaPort bool
	// Codecs are the payload formats the phone offers and accepts, in
	// order of preference (default: the Agent's, PCMU, PCMA and
	// telephone-event). Only PCMU and PCMA carry audio in the simulator;
	// others still negotiate (a phone of G.722 only gets 488 from a
	// PCMU-only caller).
	Codecs []sdpneg.Codec
	// SDPAddr is the IP the phone's SDP names instead of its own, e.g. the
	// private address of a phone behind NAT, where media sent to it is
	// lost. Its RTP still leaves from its real address.
	SDPAddr netip.Addr
	// Rel100 is the phone's use of reliable provisional responses (RFC
	// 3262): off (default), supported or required (prack.go).
	Rel100 Rel100
	// FirstRefresh is the fraction of the granted lifetime after which the
	// first refresh is sent, in (0, 1); later refreshes come at half the
	// lifetime. Default (0, or out of range) half. Phones registered
	// together and given different fractions refresh spread out, not in a
	// burst (a load run draws it in [0.5, 0.9]).
	FirstRefresh float64
	// OnRegister, if set, is called after every REGISTER this phone sends
	// on its own (refreshes), with the outcome.
	OnRegister func(Registration, error)
	// OnIncoming, if set, is called (on the handler goroutine, must not
	// block) for every new incoming call before it is answered.
	OnIncoming func(*Call)
	// SessionTimer asks for RFC 4028 session timers on the phone's calls
	// and makes it refresh (sessiontimer.go). Default none asked for; a
	// phone always answers a far end's session timer and its refreshes.
	SessionTimer SessionTimer
	// SignallingOnly runs this phone's calls without media, as
	// Config.SignallingOnly does for a whole Agent: no RTP socket, a
	// placeholder in its SDP, ErrNoAudio from audio checks. A load run
	// gives media to a share of its phones only (scenario audio.share).
	SignallingOnly bool
}

// Phone is one simulated SIP phone hosted by an Agent.
type Phone struct {
	agent *Agent
	cfg   PhoneConfig

	// mu guards the settings of cfg the Set methods change (Answer, Mute,
	// Identity, Echo, DeadMediaPort, Codecs, SDPAddr: read when a call
	// starts; kept in cfg, not copied, to keep 100,000 idle phones small)
	// and what follows.
	mu      sync.Mutex
	calls   []*Call
	reg     Registration
	regCall string // Call-ID of our registrations (RFC 3261 §10.2)
	cseq    uint32
	// refreshing is set by Register and cleared by Unregister and Close
	// (next to cseq: one word for both).
	refreshing bool
	refresh    clock.Timer
	regSem     chan struct{} // one REGISTER in flight per phone (lockReg)

	st *SessionTimer // SetSessionTimer; nil: cfg.SessionTimer
	// streams counts the media streams the phone's calls opened
	// (Config.ListenMedia's stream index).
	streams uint32
}

// NewPhone adds a phone to the Agent.
func (a *Agent) NewPhone(cfg PhoneConfig) (*Phone, error) {
	if cfg.Number == "" {
		return nil, fmt.Errorf("new phone: empty number")
	}
	if cfg.Username == "" {
		cfg.Username = cfg.Number
	}
	if cfg.Expires <= 0 {
		cfg.Expires = time.Hour
	}
	if cfg.Identity.IsZero() {
		cfg.Identity = IdentityFor(cfg.Number)
	}
	cfg.Codecs = slices.Clone(cfg.Codecs)
	p := &Phone{
		agent:   a,
		cfg:     cfg,
		regCall: randomID(),
		regSem:  make(chan struct{}, 1),
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return nil, fmt.Errorf("new phone %s: %w", cfg.Number, ErrClosed)
	}
	if a.phones[cfg.Number] != nil {
		return nil, fmt.Errorf("new phone %s: %w", cfg.Number, ErrDuplicateNumber)
	}
	a.phones[cfg.Number] = p
	return p, nil
}

// Number returns the phone's number.
func (p *Phone) Number() string { return p.cfg.Number }

// Identity returns the audio identity the phone sends on calls started now.
func (p *Phone) Identity() Identity {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cfg.Identity
}

// Agent returns the Agent hosting the phone.
func (p *Phone) Agent() *Agent { return p.agent }

// Contact returns the phone's contact URI, e.g. "sip:1000@127.0.0.1:5062"
// (with ";transport=tcp" on TCP). Dialling it reaches this phone directly.
func (p *Phone) Contact() string {
	h := p.contactHeader()
	return h.Address.String()
}

// SetAnswer changes how the phone treats the next incoming calls.
func (p *Phone) SetAnswer(m AnswerMode) {
	p.mu.Lock()
	p.cfg.Answer = m
	p.mu.Unlock()
}

// SetMute makes calls started afterwards send silence (true) or the
// phone's identity.
func (p *Phone) SetMute(mute bool) {
	p.mu.Lock()
	p.cfg.Mute = mute
	p.mu.Unlock()
}

// SetIdentity changes the identity sent on calls started afterwards (the
// zero Identity restores IdentityFor(Number)).
func (p *Phone) SetIdentity(id Identity) {
	if id.IsZero() {
		id = IdentityFor(p.cfg.Number)
	}
	p.mu.Lock()
	p.cfg.Identity = id
	p.mu.Unlock()
}

// SetEcho turns the echo (see PhoneConfig.Echo) on or off for calls
// started afterwards.
func (p *Phone) SetEcho(on bool) {
	p.mu.Lock()
	p.cfg.Echo = on
	p.mu.Unlock()
}

// SetDeadMediaPort turns the dead media port (see PhoneConfig.DeadMediaPort)
// on or off for calls started afterwards.
func (p *Phone) SetDeadMediaPort(on bool) {
	p.mu.Lock()
	p.cfg.DeadMediaPort = on
	p.mu.Unlock()
}

// SetCodecs changes the codecs (see PhoneConfig.Codecs) of calls started
// afterwards; nil restores the Agent's.
func (p *Phone) SetCodecs(codecs ...sdpneg.Codec) {
	p.mu.Lock()
	p.cfg.Codecs = slices.Clone(codecs)
	p.mu.Unlock()
}

// SetSDPAddr changes the IP the SDP of calls started afterwards names (see
// PhoneConfig.SDPAddr); the zero Addr restores the phone's own.
func (p *Phone) SetSDPAddr(ip netip.Addr) {
	p.mu.Lock()
	p.cfg.SDPAddr = ip
	p.mu.Unlock()
}

// mediaConfig is what a new call's media does, as the phone is set now.
func (p *Phone) mediaConfig() mediaConfig {
	p.mu.Lock()
	defer p.mu.Unlock()
	codecs := p.cfg.Codecs
	if len(codecs) == 0 {
		codecs = p.agent.codecs
	}
	mc := mediaConfig{identity: p.cfg.Identity, mute: p.cfg.Mute, echo: p.cfg.Echo, deadPort: p.cfg.DeadMediaPort, codecs: codecs, sdpAddr: p.cfg.SDPAddr,
		signallingOnly: p.cfg.SignallingOnly, number: p.cfg.Number, stream: uint64(p.streams)}
	if !mc.signallingOnly && !p.agent.cfg.SignallingOnly {
		p.streams++
	}
	return mc
}

// Calls returns the phone's calls in progress, oldest first.
func (p *Phone) Calls() []*Call {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.calls)
}

func (p *Phone) settings() (AnswerMode, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cfg.Answer, p.cfg.Mute
}

func (p *Phone) addCall(c *Call) {
	p.mu.Lock()
	p.calls = append(p.calls, c)
	p.mu.Unlock()
}

func (p *Phone) dropCall(c *Call) {
	p.mu.Lock()
	p.calls = slices.DeleteFunc(p.calls, func(x *Call) bool { return x == c })
	p.mu.Unlock()
}

func (p *Phone) contactHeader() sip.ContactHeader {
	a := p.agent
	uri := sip.Uri{Scheme: "sip", User: p.cfg.Number, Host: a.host, Port: int(a.addr.Port())}
	if a.cfg.Transport == TCP {
		uri.UriParams = sip.HeaderParams{{K: "transport", V: TCP}}
	}
	return sip.ContactHeader{Address: uri}
}

// aor is the phone's (or another number's) address of record in the domain.
func (a *Agent) aor(user string) sip.Uri {
	return sip.Uri{Scheme: "sip", User: user, Host: a.cfg.Domain}
}
