package services

// SwitchedOn reports whether service is switched on for number (the
// manual's srv-switch), for the services that act outside the chain's
// points (call park on a transfer, callback on a call's end).
func (ch *Chain) SwitchedOn(service, number string) bool {
	return ch == nil || ch.sw == nil || ch.sw.On(service, number)
}
