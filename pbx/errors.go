package pbx

import "errors"

var (
	// ErrNoListener means the configuration has no usable listen address.
	ErrNoListener = errors.New("no listen address")
	// ErrClosed means the server was closed.
	ErrClosed = errors.New("server closed")
	// ErrRedirectContact is a 3xx contact the PBX cannot follow (another
	// scheme than sip:, a host that does not resolve).
	ErrRedirectContact = errors.New("redirect contact not followed")
	// ErrNoChallenge is a 401/407 with no challenge the PBX can answer.
	ErrNoChallenge = errors.New("no digest challenge the PBX can answer")
	// ErrPeerUnreachable: the call's targets are at an outbound peer that
	// does not answer its OPTIONS qualify.
	ErrPeerUnreachable = errors.New("peer unreachable")
	// ErrNoRoutePeer: every peer of the route is unreachable, backing off
	// after a 503 with Retry-After, or does not resolve.
	ErrNoRoutePeer = errors.New("no peer of the route can take the call")
	// ErrTollFraud: a caller that is neither a subscriber nor a trusted
	// peer dialled a number that routes out.
	ErrTollFraud = errors.New("only subscribers and trusted peers route out")
	// ErrTransit: a call that came in from a trunk dialled a number that
	// routes out again, and the trunk's peers[].transit is off.
	ErrTransit = errors.New("calls from a trunk do not route out (peers[].transit)")
	// ErrNotRegistered: a trunk's REGISTER failed (no answer, no server,
	// a refusal or credentials the registrar did not accept).
	ErrNotRegistered = errors.New("trunk not registered")
)

// ErrNotYet: number analysis found a destination whose kind the PBX does
// not serve yet (hunt groups, feature codes come with the call-services
// issues).
var ErrNotYet = errors.New("destination kind not served yet")

// ErrSuspended: the caller or the callee is a suspended subscriber
// (subscriber management, subscribers.go).
var ErrSuspended = errors.New("subscriber suspended")
