package phone

// ReinvitesReceived is how many re-INVITEs the far end sent in the call's
// dialog (a relayed hold or resume, a session refresh ...): a hold the
// PBX takes itself re-INVITEs nobody.
func (c *Call) ReinvitesReceived() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reinvites
}
