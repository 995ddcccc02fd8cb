package media

// What services that drive an endpoint themselves (voicemail) share with
// the media server: its library (built-in and configured media IDs) and
// its pacer (one timer for every player).

// Library returns the media library; nil when the media server is off.
func (s *Server) Library() *Library {
	if s.svc == nil {
		return nil
	}
	return s.svc.lib
}

// Pacer returns the pacer the server's players run on; nil when the media
// server is off.
func (s *Server) Pacer() *Pacer {
	if s.svc == nil {
		return nil
	}
	return s.svc.pacer
}
