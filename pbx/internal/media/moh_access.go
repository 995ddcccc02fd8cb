package media

// MusicOnHold returns a new endless Source of the configured music on
// hold (media.moh: the built-in tune, a media ID or a tone), for services
// that play it themselves (call park); nil when media.moh.off is set or
// the media server is off.
func (s *Server) MusicOnHold() Source {
	if s.svc == nil || s.svc.moh == nil {
		return nil
	}
	return s.svc.moh()
}
