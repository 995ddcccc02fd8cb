package pbx

import (
	"fmt"

	"pbxlab/pbx/internal/services/intervention"
	"pbxlab/pbx/internal/services/password"
)

// The password call service (pbx/internal/services/password): from any
// phone, *47*ABCD*<num># calls num with the outgoing authority of the
// password ABCD's owner. It is a Dialled service of the chain: a right
// password rewrites the number and makes the owner the caller the
// Routed services (outgoing call authority, inter-group restriction) and
// the switches see; the phone's own number is still the one presented
// and billed (as Asterisk's authorization codes). A wrong password is 403
// with the barred prompt, a malformed code 484. Call intervention's
// password variant (*89*ABCD<num>#, intervention.go) asks the same
// passwords.

// interventionServices builds the password and the intervention services
// (services.password, services.intervention).
func (s *Server) interventionServices() (*password.Service, *intervention.Service, error) {
	cfg := s.cfg.Services
	pw, err := password.New(cfg.Password)
	if err != nil {
		return nil, nil, fmt.Errorf("services.password: %w", err)
	}
	isSub := func(n string) bool {
		_, ok := s.subscriber(n)
		return ok
	}
	ci, err := intervention.New(cfg.Intervention, isSub, pw)
	if err != nil {
		return nil, nil, fmt.Errorf("services.intervention: %w", err)
	}
	s.ci.svc = ci
	return pw, ci, nil
}
