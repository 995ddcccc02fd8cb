package testpeer

import "errors"

// ErrEngine means the Docker engine answered /_ping with something other
// than 200 OK.
var ErrEngine = errors.New("docker engine did not answer OK")
