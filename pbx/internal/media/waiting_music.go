package media

import "fmt"

// PlayWaitingMusic plays the call-waiting music (the manual's media server
// tone heard by a party whose partner was taken by call intervention) to
// ep until the player is stopped: the music on hold as media.moh
// configures it (the built-in tune, a media ID or a tone), the built-in
// tune when music on hold is off. The endpoint's relayed audio is
// overridden while it plays (Player.Stop gives it back). ErrDisabled when
// the media server is off.
func (s *Server) PlayWaitingMusic(ep *Endpoint) (*Player, error) {
	if s.svc == nil {
		return nil, fmt.Errorf("play waiting music: %w", ErrDisabled)
	}
	src := s.svc.lib.MusicOnHold()
	if s.svc.moh != nil {
		src = s.svc.moh()
	}
	return s.svc.pacer.Play(ep, src, nil), nil
}

// Isolate takes the endpoint out of its call's relay (on) or gives it
// back (off): while isolated, Link leaves it alone, so that a re-INVITE
// of the call (a session refresh, a hold) does not relink it with its far
// leg while a service (call intervention) has it in a room. Isolating
// does not unlink: call Unlink after it, Link after turning it off.
func (e *Endpoint) Isolate(on bool) { e.isolated.Store(on) }
