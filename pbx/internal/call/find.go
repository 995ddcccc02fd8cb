package call

// Find returns the call in progress whose caller's dialog has Call-ID id
// (a call the PBX placed itself: call back on busy, pbx/callback.go).
func (m *Manager) Find(id string) (*Call, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for c := range m.calls {
		if c.id == id {
			return c, true
		}
	}
	return nil, false
}
