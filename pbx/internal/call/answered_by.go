package call

// AnsweredBy returns the decision's target whose leg answered the call
// (ok false: not answered yet, or answered by no target — a service). A
// hunt group learns from it which member took the call. It must run on
// the call's executor (Policy.OnAnswer does).
func (c *Call) AnsweredBy() (Target, bool) {
	if c.winner == nil || c.winner.branch == nil {
		return Target{}, false
	}
	return c.winner.branch.target, true
}
