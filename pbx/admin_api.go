package pbx

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode"
)

// The admin API: JSON over HTTP on admin.listen, under /api/v1/, behind a
// bearer token (admin.token). Without a token configured every /api/ path
// answers 403: the API is never open. The subscriber endpoints are in
// admin_subscribers.go; the system-management issue adds its own next to
// them.
//
// Errors are JSON too: {"error": "...", "field": "..."} with 400 (a field
// of the request is wrong: field names it), 401 (no or wrong token, with
// WWW-Authenticate: Bearer), 403 (API off), 404 (no such subscriber), 409
// (the number is taken), 405 (a method the path does not take, with
// Allow), 413 (body over maxAPIBody), 415 (not JSON), 500.

// maxAPIBody bounds a request body.
const maxAPIBody = 64 << 10

// apiError is an error answer.
type apiError struct {
	Status  int    `json:"-"`
	Message string `json:"error"`
	Field   string `json:"field,omitempty"`
}

func (e *apiError) Error() string {
	if e.Field != "" {
		return e.Field + ": " + e.Message
	}
	return e.Message
}

func badField(field, format string, args ...any) *apiError {
	return &apiError{Status: http.StatusBadRequest, Field: field, Message: fmt.Sprintf(format, args...)}
}

// mountAPI adds the admin API to mux.
func (s *Server) mountAPI(mux *http.ServeMux) {
	api := http.NewServeMux()
	s.mountSubscriberAPI(api)
	s.mountRingOutAPI(api) // admin_ringouts.go
	s.mountSourceAPI(api)  // admin_sources.go
	mux.Handle("/api/", s.requireToken(jsonMisses(api)))
}

// jsonMisses serves api, answering a path it does not know (404) or a
// method a path does not take (405, with Allow) with a JSON error instead
// of ServeMux's plain text.
func jsonMisses(api *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, pattern := api.Handler(r)
		if pattern != "" {
			api.ServeHTTP(w, r) // (sets the path values Handler does not)
			return
		}
		probe := &statusProbe{header: http.Header{}}
		h.ServeHTTP(probe, r)
		if allow := probe.header.Get("Allow"); allow != "" {
			w.Header().Set("Allow", allow)
		}
		msg := "no such endpoint: "
		if probe.status == http.StatusMethodNotAllowed {
			msg = "method not allowed (Allow: " + probe.header.Get("Allow") + "): "
		}
		writeError(w, &apiError{Status: probe.status, Message: msg + r.Method + " " + r.URL.Path})
	})
}

// statusProbe records the status and headers ServeMux's own 404/405
// handler sets, dropping its body.
type statusProbe struct {
	header http.Header
	status int
}

func (p *statusProbe) Header() http.Header { return p.header }
func (p *statusProbe) Write(b []byte) (int, error) {
	if p.status == 0 {
		p.status = http.StatusOK
	}
	return len(b), nil
}
func (p *statusProbe) WriteHeader(code int) {
	if p.status == 0 {
		p.status = code
	}
}

// requireToken lets through requests that carry admin.token as a bearer
// token (compared in constant time).
func (s *Server) requireToken(next http.Handler) http.Handler {
	tok := s.cfg.Admin.Token.Reveal()
	want := sha256.Sum256(tok)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if tok == nil {
			writeError(w, &apiError{Status: http.StatusForbidden, Message: "the admin API is off (admin.token is not set)"})
			return
		}
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		sum := sha256.Sum256([]byte(strings.TrimSpace(got)))
		if !ok || subtle.ConstantTimeCompare(sum[:], want[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="pbxlab admin"`)
			writeError(w, &apiError{Status: http.StatusUnauthorized, Message: "missing or wrong bearer token"})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// writeJSON answers status with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// writeError answers err: an *apiError as it says, anything else 500.
func writeError(w http.ResponseWriter, err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		ae = &apiError{Status: http.StatusInternalServerError, Message: err.Error()}
	}
	writeJSON(w, ae.Status, ae)
}

// readJSON reads a request body of at most maxAPIBody bytes.
func readJSON(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return nil, &apiError{Status: http.StatusUnsupportedMediaType, Message: "Content-Type must be application/json, got " + ct}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxAPIBody))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return nil, &apiError{Status: http.StatusRequestEntityTooLarge, Message: fmt.Sprintf("body over %d bytes", maxAPIBody)}
	case err != nil:
		return nil, &apiError{Status: http.StatusBadRequest, Message: "read body: " + err.Error()}
	}
	return body, nil
}

// decodeStrict decodes exactly one JSON object into v: unknown fields,
// wrong types and trailing data are 400s naming the field where JSON
// says which.
func decodeStrict(body []byte, v any) error {
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return badField(te.Field, "want a JSON %s, got %s", te.Type, te.Value)
		}
		if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			return badField(strings.Trim(f, `"`), "unknown field")
		}
		return &apiError{Status: http.StatusBadRequest, Message: "malformed JSON: " + err.Error()}
	}
	if dec.More() {
		return &apiError{Status: http.StatusBadRequest, Message: "malformed JSON: data after the object"}
	}
	return nil
}

// checkText refuses control characters and, for text that goes into a
// quoted SIP header field, quotes and backslashes.
func checkText(field, s string, maxLen int) *apiError {
	switch {
	case len(s) > maxLen:
		return badField(field, "longer than %d bytes", maxLen)
	case strings.ContainsFunc(s, unicode.IsControl):
		return badField(field, "may not contain control characters")
	case strings.ContainsAny(s, "\"\\"):
		return badField(field, "may not contain quotes or backslashes")
	}
	return nil
}
