package replay

import "errors"

// ErrNoTarget: the configuration names no target.
var ErrNoTarget = errors.New("no target")

// ErrNoSIP: the capture holds no SIP message to or from the system under test.
var ErrNoSIP = errors.New("the capture holds no SIP exchange with the system under test")

// ErrUnreachable: the target refused the replay's packets or never answered.
var ErrUnreachable = errors.New("the target is unreachable")

// ErrForbiddenDestination: a send to anywhere but the target (a bug the
// one sender refuses; never on the wire).
var ErrForbiddenDestination = errors.New("destination is not the target")

// ErrCredentials: a credentials file that does not decode.
var ErrCredentials = errors.New("bad credentials file")

// ErrPace: a --pace value that is not original, fast or xN.
var ErrPace = errors.New("bad pace")

// ErrRTPNeedsCapture: --rtp without a capture file to read the RTP from.
var ErrRTPNeedsCapture = errors.New("RTP replay needs the capture file")

// ErrRunTwice: Run called again on the same Replayer.
var ErrRunTwice = errors.New("a replayer runs once")
