package rawudp

import "errors"

// ErrFamily is the error of a write to an IPv6 address on an IPv4 socket.
var ErrFamily = errors.New("rawudp: IPv6 destination on an IPv4 socket")
