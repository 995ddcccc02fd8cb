package vnet

// Stop stops the PBX now, as the cleanup would (a restart test starts
// another on the same store); the cleanup then finds it stopped.
func (h *Harness) Stop() {
	h.settle()
	h.stop()
	err := <-h.done
	h.done <- err // for the cleanup's close
}
