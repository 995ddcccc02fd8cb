package flow

import "errors"

// ErrSyntax: a flow file line that is not a party or a step.
var ErrSyntax = errors.New("not a call flow line")

// ErrNoSIP: a capture that holds no SIP message.
var ErrNoSIP = errors.New("the capture holds no SIP message")
