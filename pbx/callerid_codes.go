package pbx

import (
	"context"
	"fmt"
	"sync"
	"time"

	"pbxlab/pbx/internal/call"
	"pbxlab/pbx/internal/services"
	"pbxlab/pbx/internal/services/callerid"
	clirstore "pbxlab/pbx/internal/services/callerid/sqlstore"
)

// Caller ID codes (pbx/internal/services/callerid): the CLIR service
// (switch clir) keeps each subscriber's permanent setting (*31# / #31#,
// beating subscribers[].clir) and takes the per-call hide codes (*67<num>,
// *31*<num>#); the CLIP service (switch clip) the per-call show code
// (*82<num>). A per-call code rewrites the number at the Dialled point and
// leaves its choice on the services' Call; presentations keeps it by the
// call's Call-ID until the call ends, for the caller ID rules
// (callerid.go: restricted).

// presentations are the per-call choices, by Call-ID.
type presentations struct {
	mu   sync.Mutex
	byID map[string]services.Presentation
}

func (p *presentations) set(id string, v services.Presentation) {
	if id == "" || v == services.PresentDefault {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.byID == nil {
		p.byID = map[string]services.Presentation{}
	}
	p.byID[id] = v
}

func (p *presentations) get(id string) services.Presentation {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.byID[id]
}

func (p *presentations) end(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.byID, id)
}

// callerIDServices builds CLIR (with its SQLite store) and CLIP.
func (s *Server) callerIDServices(ctx context.Context) (*callerid.CLIR, *callerid.CLIP, error) {
	st, err := clirstore.New(ctx, s.db)
	if err != nil {
		return nil, nil, fmt.Errorf("services.clir: %w", err)
	}
	clir, err := callerid.NewCLIR(st, func(n string) bool {
		sub, ok := s.subscriber(n)
		return ok && sub.CLIR
	})
	if err != nil {
		return nil, nil, fmt.Errorf("services.clir: %w", err)
	}
	s.clir = clir
	return clir, callerid.NewCLIP(), nil
}

// notePresentation keeps a per-call code's choice for the call's caller ID.
func (s *Server) notePresentation(in call.Incoming, sc *services.Call) {
	if in.Request != nil && in.Request.CallID() != nil {
		s.presents.set(in.Request.CallID().Value(), sc.Presentation)
	}
}

// clirLookup bounds the lookup of a caller's permanent setting.
const clirLookup = 5 * time.Second

// subscriberRestricts reports whether the subscriber caller of in hides
// its number on this call: a per-call code first, then the permanent
// setting (the phone's, else the configuration's); decided is false when
// neither says (the request's privacy then decides).
func (s *Server) subscriberRestricts(in call.Incoming) (restricted, decided bool) {
	if in.Request != nil && in.Request.CallID() != nil {
		switch s.presents.get(in.Request.CallID().Value()) {
		case services.PresentRestricted:
			return true, true
		case services.PresentAllowed:
			return false, true
		}
	}
	if _, ok := s.subscriber(in.Caller.Number); !ok || in.Caller.Trusted {
		return false, false
	}
	if s.clir == nil {
		sub, _ := s.subscriber(in.Caller.Number)
		return sub.CLIR, sub.CLIR
	}
	ctx, cancel := context.WithTimeout(context.Background(), clirLookup)
	defer cancel()
	on, err := s.clir.On(ctx, in.Caller.Number)
	if err != nil {
		s.log.Warn("caller ID: permanent CLIR", "caller", in.Caller.Number, "error", err)
		sub, _ := s.subscriber(in.Caller.Number)
		return sub.CLIR, sub.CLIR
	}
	return on, on
}
