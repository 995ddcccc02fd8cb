package call

// Reroute applies a new decision to a call a service took (a Decision of
// kind ToService) and has not answered: the service hands the call back
// to be rung, refused or served as d says, exactly as a decision of
// Policy.Route (the CDR's callee becomes d.Callee; the decisions count
// towards the call's bound). The delayed hotline does this once it has
// collected the digits in early media. It must run on the call's
// executor; it does nothing once the call is answered or over, and
// reports whether it applied d.
func (c *Call) Reroute(d Decision) bool {
	if c.phase != phaseRinging {
		return false
	}
	c.apply(d)
	return true
}
