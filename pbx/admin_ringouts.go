package pbx

import (
	"fmt"
	"net/http"
	"slices"

	"pbxlab/pbx/internal/services/notification"
)

// The admin API of the calls the PBX places itself (ringouts.go): the
// group notifications as configured with their latest delivery, a delivery
// now (an operator's "send it again"), and the armed wake-up alarms. The
// notifications themselves are configuration (services.notification).
//
//	GET  /api/v1/notifications               every notification and its latest delivery
//	GET  /api/v1/notifications/{name}        one
//	POST /api/v1/notifications/{name}/deliver  deliver a local one now (202; 409 remote)
//	GET  /api/v1/wakeup                      armed alarms: {"alarms": {"1001": "0630"}}

type notificationJSON struct {
	Name       string                 `json:"name"`
	Mode       string                 `json:"mode"`
	Media      string                 `json:"media,omitempty"`
	At         string                 `json:"at,omitempty"`
	Date       string                 `json:"date,omitempty"`
	AccessCode string                 `json:"access_code,omitempty"`
	Receivers  []string               `json:"receivers"`
	Deliverer  string                 `json:"deliverer,omitempty"`
	Delivery   map[string]receiptJSON `json:"delivery,omitempty"` // the latest, by receiver
}

type receiptJSON struct {
	Tries    int  `json:"tries"`
	Received bool `json:"received"`
	Pending  bool `json:"pending"`
}

func (s *Server) mountRingOutAPI(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v1/notifications", s.apiListNotifications)
	mux.HandleFunc("GET /api/v1/notifications/{name}", s.apiGetNotification)
	mux.HandleFunc("POST /api/v1/notifications/{name}/deliver", s.apiDeliverNotification)
	mux.HandleFunc("GET /api/v1/wakeup", func(w http.ResponseWriter, _ *http.Request) {
		alarms := s.WakeupAlarms()
		if alarms == nil {
			alarms = map[string]string{}
		}
		writeJSON(w, http.StatusOK, struct {
			Alarms map[string]string `json:"alarms"`
		}{alarms})
	})
}

func (s *Server) notifications() []notification.Notification {
	if s.ringOuts.notify == nil {
		return nil
	}
	return s.ringOuts.notify.Config().Notifications
}

func (s *Server) notificationJSON(n notification.Notification) notificationJSON {
	out := notificationJSON{Name: n.Name, Mode: string(n.Mode), Media: n.Media, At: n.At, Date: n.Date,
		AccessCode: n.AccessCode, Receivers: slices.Clone(n.Receivers), Deliverer: n.Deliverer}
	if st := s.NotificationStatus(n.Name); st != nil {
		out.Delivery = map[string]receiptJSON{}
		for rcv, r := range st {
			out.Delivery[rcv] = receiptJSON{Tries: r.Tries, Received: r.Received, Pending: r.Pending}
		}
	}
	return out
}

func (s *Server) apiListNotifications(w http.ResponseWriter, _ *http.Request) {
	out := struct {
		Notifications []notificationJSON `json:"notifications"`
	}{Notifications: []notificationJSON{}}
	for _, n := range s.notifications() {
		out.Notifications = append(out.Notifications, s.notificationJSON(n))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) notificationNamed(name string) (notification.Notification, *apiError) {
	i := slices.IndexFunc(s.notifications(), func(n notification.Notification) bool { return n.Name == name })
	if i < 0 {
		return notification.Notification{}, &apiError{Status: http.StatusNotFound, Message: fmt.Sprintf("no notification %q", name)}
	}
	return s.notifications()[i], nil
}

func (s *Server) apiGetNotification(w http.ResponseWriter, r *http.Request) {
	n, err := s.notificationNamed(r.PathValue("name"))
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, s.notificationJSON(n))
}

func (s *Server) apiDeliverNotification(w http.ResponseWriter, r *http.Request) {
	n, err := s.notificationNamed(r.PathValue("name"))
	if err != nil {
		writeError(w, err)
		return
	}
	if n.Mode == notification.Remote {
		writeError(w, &apiError{Status: http.StatusConflict, Message: fmt.Sprintf("notification %q is remote: its deliverer starts it with the access code", n.Name)})
		return
	}
	if err := s.media.Require(); err != nil {
		writeError(w, &apiError{Status: http.StatusServiceUnavailable, Message: "the media server is off"})
		return
	}
	s.DeliverNotification(n.Name)
	writeJSON(w, http.StatusAccepted, s.notificationJSON(n))
}
