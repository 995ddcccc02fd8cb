package main

import "errors"

// errUsage: bad flags.
var errUsage = errors.New("usage")
