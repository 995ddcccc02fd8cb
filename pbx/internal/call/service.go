package call

// What a service that answers a call itself (voicemail, an IVR) needs of
// the call beyond the operations: the caller's offer, to answer it from
// the media server, and the call's end, to finish its work.

// Offer returns the caller's initial SDP offer (nil for a late offer: the
// INVITE had no body).
func (c *Call) Offer() []byte { return c.offer }

// Done is closed once the call is over and its record written (from
// either side, by Hangup, or by a failure).
func (c *Call) Done() <-chan struct{} { return c.ended }
