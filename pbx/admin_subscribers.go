package pbx

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"pbxlab/pbx/config"
	"pbxlab/pbx/internal/directory"
	"pbxlab/pbx/internal/numbering"
)

// Subscriber management over the admin API (manual, Call Services ch. 2;
// see admin_api.go for authentication and errors):
//
//	GET    /api/v1/subscribers[?after=NUMBER&limit=N]  list, by number (limit default 1000, at most 10000)
//	GET    /api/v1/subscribers/{number}                 one subscriber
//	POST   /api/v1/subscribers                          add: {"number", "password", "realm", "display_name", "device"} → 201
//	POST   /api/v1/subscribers/{number}/suspend         suspend → 200
//	POST   /api/v1/subscribers/{number}/resume          resume → 200
//	DELETE /api/v1/subscribers/{number}                 delete (drops its registrations) → 204
//
// A subscriber is shown as {"number", "display_name", "realm", "device",
// "state": "active"|"suspended", "source": "config"|"runtime"}; the
// password is never shown. Each change is committed to the store before
// it is answered and takes effect at once (digest authentication, number
// analysis, calls); a restart keeps it.

// subscriberRequest is the body of POST /api/v1/subscribers.
type subscriberRequest struct {
	Number      string `json:"number"`
	Password    string `json:"password"`
	Realm       string `json:"realm"`
	DisplayName string `json:"display_name"`
	Device      string `json:"device"`
}

// subscriberJSON is a subscriber as the API shows it.
type subscriberJSON struct {
	Number      string `json:"number"`
	DisplayName string `json:"display_name,omitempty"`
	Realm       string `json:"realm"`
	Device      string `json:"device,omitempty"`
	State       string `json:"state"`
	Source      string `json:"source"`
}

func toJSON(e directory.Entry) subscriberJSON {
	src := "config"
	if e.Runtime {
		src = "runtime"
	}
	return subscriberJSON{Number: e.Number, DisplayName: e.DisplayName, Realm: e.Realm, Device: e.Device, State: string(e.State), Source: src}
}

// Bounds of the API's subscriber fields.
const (
	maxAPINumber   = 32
	maxAPIPassword = 128
	maxAPIText     = 128
	defListLimit   = 1000
	maxListLimit   = 10000
)

// decodeSubscriber decodes and checks an add request (everything but what
// needs the running PBX: realm and device names, taken numbers).
func decodeSubscriber(body []byte) (subscriberRequest, error) {
	var req subscriberRequest
	if err := decodeStrict(body, &req); err != nil {
		return req, err
	}
	if err := checkNumber(req.Number); err != nil {
		return req, err
	}
	switch {
	case req.Password == "":
		return req, badField("password", "required")
	case len(req.Password) > maxAPIPassword:
		return req, badField("password", "longer than %d bytes", maxAPIPassword)
	}
	for _, f := range []struct{ name, v string }{{"password", req.Password}, {"realm", req.Realm}, {"display_name", req.DisplayName}, {"device", req.Device}} {
		if err := checkText(f.name, f.v, maxAPIText); err != nil {
			return req, err
		}
	}
	return req, nil
}

// checkNumber checks a subscriber number: 1 to 32 digits.
func checkNumber(n string) *apiError {
	switch {
	case n == "":
		return badField("number", "required")
	case len(n) > maxAPINumber:
		return badField("number", "longer than %d digits", maxAPINumber)
	case !isDigits(n):
		return badField("number", "%q must be digits only", n)
	}
	return nil
}

func isDigits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func (s *Server) mountSubscriberAPI(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v1/subscribers", s.apiListSubscribers)
	mux.HandleFunc("GET /api/v1/subscribers/{number}", s.apiGetSubscriber)
	mux.HandleFunc("POST /api/v1/subscribers", s.apiAddSubscriber)
	mux.HandleFunc("POST /api/v1/subscribers/{number}/suspend", s.apiSetState(s.suspendSubscriber))
	mux.HandleFunc("POST /api/v1/subscribers/{number}/resume", s.apiSetState(s.resumeSubscriber))
	mux.HandleFunc("DELETE /api/v1/subscribers/{number}", s.apiDeleteSubscriber)
}

func (s *Server) apiListSubscribers(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit := defListLimit
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxListLimit {
			writeError(w, badField("limit", "want 1 to %d, got %q", maxListLimit, v))
			return
		}
		limit = n
	}
	all := s.dir.All()
	after := q.Get("after")
	i, _ := slices.BinarySearchFunc(all, after, func(e directory.Entry, n string) int {
		if e.Number <= n {
			return -1
		}
		return 1
	})
	page := all[i:min(len(all), i+limit)]
	out := struct {
		Subscribers []subscriberJSON `json:"subscribers"`
		Next        string           `json:"next,omitempty"` // the after= of the next page
	}{Subscribers: make([]subscriberJSON, 0, len(page))}
	for _, e := range page {
		out.Subscribers = append(out.Subscribers, toJSON(e))
	}
	if i+limit < len(all) && len(page) > 0 {
		out.Next = page[len(page)-1].Number
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiGetSubscriber(w http.ResponseWriter, r *http.Request) {
	e, ok := s.dir.Get(r.PathValue("number"))
	if !ok {
		writeError(w, notFound(r.PathValue("number")))
		return
	}
	writeJSON(w, http.StatusOK, toJSON(e))
}

func notFound(number string) *apiError {
	return &apiError{Status: http.StatusNotFound, Message: fmt.Sprintf("no subscriber %q", number)}
}

func (s *Server) apiAddSubscriber(w http.ResponseWriter, r *http.Request) {
	body, err := readJSON(w, r)
	if err != nil {
		writeError(w, err)
		return
	}
	req, err := decodeSubscriber(body)
	if err != nil {
		writeError(w, err)
		return
	}
	e, err := s.addSubscriber(r.Context(), req)
	if err != nil {
		writeError(w, err)
		return
	}
	w.Header().Set("Location", "/api/v1/subscribers/"+e.Number)
	writeJSON(w, http.StatusCreated, toJSON(e))
}

func (s *Server) apiSetState(set func(context.Context, string) (directory.Entry, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		e, err := set(r.Context(), r.PathValue("number"))
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, toJSON(e))
	}
}

func (s *Server) apiDeleteSubscriber(w http.ResponseWriter, r *http.Request) {
	if err := s.deleteSubscriber(r.Context(), r.PathValue("number")); err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// addSubscriber adds a checked request's subscriber: its realm and device
// must exist, its number be free (no subscriber, conference room, IVR or
// voicemail number) and fit the numbering plan.
func (s *Server) addSubscriber(ctx context.Context, req subscriberRequest) (directory.Entry, error) {
	sub := config.Subscriber{Number: req.Number, Password: req.Password, Realm: req.Realm, DisplayName: req.DisplayName, Device: req.Device}
	if sub.Realm == "" {
		sub.Realm = s.cfg.DefaultRealm().Name
	} else if _, ok := s.cfg.LookupRealm(sub.Realm); !ok {
		return directory.Entry{}, badField("realm", "unknown realm %q (not in auth.realms)", sub.Realm)
	}
	if sub.Device != "" && !slices.ContainsFunc(s.cfg.Numbering.Devices, func(d config.NumberingDevice) bool { return d.Name == sub.Device }) {
		return directory.Entry{}, badField("device", "unknown device %q (not in numbering.devices)", sub.Device)
	}
	if what := s.serviceOwning(sub.Number); what != "" {
		return directory.Entry{}, &apiError{Status: http.StatusConflict, Field: "number", Message: fmt.Sprintf("%s is the number of %s", sub.Number, what)}
	}
	s.dirMu.Lock()
	defer s.dirMu.Unlock()
	var plan *numbering.Plan
	e, err := s.dir.Add(ctx, sub, func(defined []config.Subscriber) error {
		p, err := s.planWith(defined)
		if err != nil {
			return &apiError{Status: http.StatusConflict, Field: "number", Message: "the numbering plan cannot take it: " + err.Error()}
		}
		plan = p
		return nil
	})
	switch {
	case errors.Is(err, directory.ErrExists):
		return e, &apiError{Status: http.StatusConflict, Field: "number", Message: fmt.Sprintf("subscriber %s exists", sub.Number)}
	case err != nil:
		return e, err
	}
	s.plan.Store(plan)
	s.log.Info("subscriber added", "number", sub.Number)
	return e, nil
}

// serviceOwning names the service that owns number, "" if none.
func (s *Server) serviceOwning(number string) string {
	switch {
	case s.rooms[number] != nil:
		return "a conference room"
	case s.ivr != nil && s.ivr.Has(number):
		return "an IVR"
	case s.cfg.Voicemail.Number == number:
		return "the voicemail"
	}
	return ""
}

func (s *Server) suspendSubscriber(ctx context.Context, number string) (directory.Entry, error) {
	e, err := s.dir.Suspend(ctx, number)
	if errors.Is(err, directory.ErrNotFound) {
		return e, notFound(number)
	}
	if err == nil {
		s.log.Info("subscriber suspended", "number", number)
	}
	return e, err
}

func (s *Server) resumeSubscriber(ctx context.Context, number string) (directory.Entry, error) {
	e, err := s.dir.Resume(ctx, number)
	if errors.Is(err, directory.ErrNotFound) {
		return e, notFound(number)
	}
	if err == nil {
		s.log.Info("subscriber resumed", "number", number)
	}
	return e, err
}

// deleteSubscriber makes number vacant and drops its registrations.
func (s *Server) deleteSubscriber(ctx context.Context, number string) error {
	s.dirMu.Lock()
	defer s.dirMu.Unlock()
	err := s.dir.Delete(ctx, number)
	switch {
	case errors.Is(err, directory.ErrNotFound):
		return notFound(number)
	case err != nil:
		return err
	}
	if err := s.reg.Remove(ctx, number); err != nil {
		return fmt.Errorf("delete subscriber %s: %w", number, err)
	}
	if p, err := s.planWith(s.dir.Defined()); err == nil {
		s.plan.Store(p)
	}
	s.log.Info("subscriber deleted", "number", number)
	return nil
}
