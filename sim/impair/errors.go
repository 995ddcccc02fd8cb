package impair

import "errors"

// ErrInvalid marks a configuration out of range.
var ErrInvalid = errors.New("invalid impairment")

// ErrIdleDropped is the error of a Stream the NAT dropped after its
// BindingTimeout without traffic: the connection was reset.
var ErrIdleDropped = errors.New("connection reset: idle past the nat binding timeout")

// ErrGivenUp is the error of a Stream whose segment was lost
// MaxRetransmits times in a row: TCP gave the connection up.
var ErrGivenUp = errors.New("connection timed out: segment lost on every retransmission")
