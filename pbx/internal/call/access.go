package call

// Accessors a service of the media server needs while it drives a call
// (an announcement before the final error, music on hold).

// Offer returns the caller's initial SDP offer (nil for a late offer: an
// INVITE without SDP). The caller must not change it.
func (c *Call) Offer() []byte { return c.offer }

// Done is closed once the call is over and recorded (answered and hung up,
// refused, cancelled by the caller): a service that plays to a call stops
// then.
func (c *Call) Done() <-chan struct{} { return c.ended }
