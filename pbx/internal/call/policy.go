package call

import (
	"context"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/pbx/internal/cdr"
	"pbxlab/pbx/internal/sipx"
)

// Policy is what the call layer asks and tells the rest of the PBX at
// defined moments of a call: number analysis, the services and the media
// server are rooms of their own behind it. Funcs implements it from a
// struct of optional funcs (production wiring and test fakes alike).
//
// Classify and Route run on the request's goroutine before a call exists;
// the other hooks run on the call's executor and must not block for long
// (a hook that needs I/O starts its own goroutine and posts back).
type Policy interface {
	// Classify identifies who sent a new INVITE: a subscriber (digest) or a
	// trusted peer. An error is the response (407 with a challenge, 403).
	Classify(ctx context.Context, req *sip.Request) (Caller, error)
	// Route is number analysis: where a call from caller to dialled goes.
	Route(ctx context.Context, in Incoming) (Decision, error)
	// OnFailure is asked when every target of a decision failed (busy, no
	// answer, unreachable, rejected). A non-nil Decision continues the call
	// (forwarding, voicemail...); nil lets the failure reach the caller.
	OnFailure(ctx context.Context, f Failure) (*Decision, error)
	// OnAnswer is told when a target answers.
	OnAnswer(ctx context.Context, a Answered)
	// InDialog gets the in-dialog requests the call layer does not handle
	// itself (REFER, SUBSCRIBE, NOTIFY, MESSAGE ...) and returns the
	// response; ErrNotHandled lets the call layer answer 405.
	InDialog(ctx context.Context, r InDialogRequest) (*sip.Response, error)
	// OnHangup is told when a call has ended and its record is written.
	OnHangup(ctx context.Context, e Ended)
}

// Caller is who sent a new call.
type Caller struct {
	// Number is the caller's number (the authenticated subscriber, or the
	// From user of a trusted peer).
	Number string
	// Trusted is true for a peer trusted by address (a trunk).
	Trusted bool
	// Peer names the trunk (config peers[]) the call came in from, ""
	// for a subscriber or a trusted_peers entry.
	Peer string
	// Called, when set, is the number called instead of the Request-URI
	// user: a trunk's call to the PBX's registered contact carries its DID
	// in To.
	Called string
	// SessionTimer are the caller's leg's session timers (nil: the
	// manager's, timer.go).
	SessionTimer *SessionTimer
}

// Incoming is a new call as number analysis sees it.
type Incoming struct {
	Caller  Caller
	Dialled string
	Request *sip.Request
}

// DecisionKind says what number analysis found.
type DecisionKind uint8

// Decision kinds.
const (
	// ToSubscriber rings a subscriber's contacts.
	ToSubscriber DecisionKind = iota
	// ToGroup rings the members of a group (Sequential for hunting).
	ToGroup
	// ToRoute sends the call out of a route (a trunk or peer).
	ToRoute
	// ToService hands the call to a service (a feature code, IVR ...).
	ToService
	// Reject refuses the call with Decision.Err (a cause and its response).
	Reject
	// Redirect answers as a redirect server: 301/302 with the targets.
	Redirect
)

// Decision is where a call goes.
type Decision struct {
	Kind DecisionKind
	// Callee is the number the call is for (the CDR's callee).
	Callee string
	// Targets are rung in parallel, or one after another when Sequential
	// (each for its Target.Ring, then the next).
	Targets    []Target
	Sequential bool
	// Calling is the calling number the targets see (number
	// substitution, the manual's Table 1-2); "" keeps the caller's. The
	// CDR keeps the caller's own.
	Calling string
	// Code is 301 or 302 for Redirect.
	Code int
	// Err is the refusal for Reject: a sipx sentinel or *sipx.StatusError
	// (404 vacant number, 403 barred, 480 ...).
	Err error
	// Service takes the call over for ToService; it runs on the call's
	// executor and drives the call through its operations.
	Service func(c *Call)
	// Diversion, when the call was diverted to Targets (a callee's 3xx
	// followed, a forwarding service), makes the call layer tell the caller
	// (181 Call Is Being Forwarded), add a Diversion header (RFC 5806) to
	// the forks' INVITEs, and skip targets the call already tried (a loop).
	Diversion *Diversion
	// NoReply, when set and shorter than the call's no-answer timer, is
	// how long the targets ring before the call fails as not answered
	// (OnFailure with NoAnswer: forwarding on no reply).
	NoReply time.Duration
	// OnTargetFailure, when set, is told on the call's executor of each
	// target that failed (its last server's final response, or the
	// transaction's own 408/503); false stops a sequential decision there
	// (no further target is tried: the failure goes to OnFailure). A route
	// fails over on some responses only, and remembers a Retry-After.
	OnTargetFailure func(t Target, res *sip.Response) bool
}

// Diversion says from where and why a call was diverted (RFC 5806).
type Diversion struct {
	// From is the address the call was diverted from (the AOR dialled).
	From sip.Uri
	// Reason is an RFC 5806 diversion-reason: unconditional, user-busy,
	// no-answer, deflection, unknown ...; "" is unknown.
	Reason string
	// Earlier are diversions the same decision went through before this
	// one (a chain of unconditional forwards resolved at once), oldest
	// first: each gets its Diversion entry before this one's.
	Earlier []Diversion
}

// Target is one place a call can ring: a registered or static contact.
type Target struct {
	// URI is where requests go: the contact, with host:port replaced by the
	// address its REGISTER came from when they differ (RFC 3581 NAT).
	URI sip.Uri
	// Contact is the contact as registered; a redirect (301/302) gives it.
	Contact   sip.Uri
	Transport string // "udp" | "tcp"
	Dest      string // IP:port
	// Failover are the target's other servers, in order (RFC 3263 §4.3):
	// the INVITE goes to the next when the one at Dest times out or
	// answers 503 (failover.go).
	Failover []Hop
	// Ring bounds how long this target rings, in a sequential decision
	// (then the next rings) or a parallel one (0: until the call's
	// no-answer timer).
	Ring time.Duration
	// Progress bounds how long this target, in a sequential decision, may
	// send nothing beyond 100 Trying: then it is cancelled and fails as
	// timed out (408) (0: no bound; progress.go).
	Progress time.Duration
	// SessionTimer are the leg's session timers (nil: the manager's,
	// timer.go).
	SessionTimer *SessionTimer
	// Peer names the outbound peer the target is (a route's), "" for a
	// subscriber's contact; for logs and the policy's callbacks.
	Peer string
	// Credentials, when set, answer a 401/407 to the target's INVITE once
	// (RFC 3261 §22.2, uac_auth.go).
	Credentials *Credentials
	// Identity, when set, is how the target sees the caller (caller ID
	// rules of a trunk, privacy): it overrides the From of the target's
	// INVITE and adds headers to it.
	Identity *Identity
	// Admit, when set, is asked on the call's executor just before the
	// target's first INVITE; false skips the target (a limit of the
	// policy's: a peer's concurrent calls, its calls per second).
	Admit func() bool
}

// Credentials are a user name and password for digest authentication.
type Credentials struct {
	User     string
	Password string
}

// Identity is how a target sees the caller: the From header's display
// name, user and host ("" keeps the caller's display name, the calling
// number, the PBX's address) and headers added to the INVITE
// (P-Asserted-Identity and Privacy: RFC 3325, RFC 3323).
type Identity struct {
	Name    string
	User    string
	Host    string
	Headers []sip.Header
}

// FailureKind classifies why a decision's targets failed.
type FailureKind uint8

// Failure kinds.
const (
	Unreachable FailureKind = iota // no target, or none could be reached
	Busy                           // 486 / 600
	NoAnswer                       // the no-answer timer, 408, 480
	Rejected                       // 603 or another refusal
)

var failureNames = [...]string{"unreachable", "busy", "no-answer", "rejected"}

func (k FailureKind) String() string { return failureNames[k] }

// Failure is a decision whose targets all failed.
type Failure struct {
	Kind     FailureKind
	Caller   Caller
	Callee   string
	Response *sip.Response // the best final response, nil when nothing was sent
	Call     *Call
}

// Answered is a call that was just answered.
type Answered struct {
	Caller Caller
	Callee string
	Call   *Call
}

// InDialogRequest is an in-dialog request the call layer passes on.
type InDialogRequest struct {
	Request *sip.Request
	Leg     *Leg
	Call    *Call
}

// Ended is a call that is over.
type Ended struct {
	Record cdr.Record
}

// Funcs implements Policy with optional funcs; a nil func takes the default:
// Classify trusts the From user, Route fails with 404, OnFailure lets the
// failure through, InDialog answers 405, the rest do nothing.
type Funcs struct {
	ClassifyFunc  func(ctx context.Context, req *sip.Request) (Caller, error)
	RouteFunc     func(ctx context.Context, in Incoming) (Decision, error)
	OnFailureFunc func(ctx context.Context, f Failure) (*Decision, error)
	OnAnswerFunc  func(ctx context.Context, a Answered)
	InDialogFunc  func(ctx context.Context, r InDialogRequest) (*sip.Response, error)
	OnHangupFunc  func(ctx context.Context, e Ended)
}

var _ Policy = Funcs{}

// Classify implements Policy.
func (f Funcs) Classify(ctx context.Context, req *sip.Request) (Caller, error) {
	if f.ClassifyFunc == nil {
		return Caller{Number: req.From().Address.User}, nil
	}
	return f.ClassifyFunc(ctx, req)
}

// Route implements Policy.
func (f Funcs) Route(ctx context.Context, in Incoming) (Decision, error) {
	if f.RouteFunc == nil {
		return Decision{Kind: Reject, Err: sipx.ErrNotFound}, nil
	}
	return f.RouteFunc(ctx, in)
}

// OnFailure implements Policy.
func (f Funcs) OnFailure(ctx context.Context, fl Failure) (*Decision, error) {
	if f.OnFailureFunc == nil {
		return nil, nil
	}
	return f.OnFailureFunc(ctx, fl)
}

// OnAnswer implements Policy.
func (f Funcs) OnAnswer(ctx context.Context, a Answered) {
	if f.OnAnswerFunc != nil {
		f.OnAnswerFunc(ctx, a)
	}
}

// InDialog implements Policy.
func (f Funcs) InDialog(ctx context.Context, r InDialogRequest) (*sip.Response, error) {
	if f.InDialogFunc == nil {
		return nil, ErrNotHandled
	}
	return f.InDialogFunc(ctx, r)
}

// OnHangup implements Policy.
func (f Funcs) OnHangup(ctx context.Context, e Ended) {
	if f.OnHangupFunc != nil {
		f.OnHangupFunc(ctx, e)
	}
}
