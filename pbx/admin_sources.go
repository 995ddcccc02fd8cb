package pbx

import (
	"net/http"
	"net/netip"
	"time"
)

// The admin API of sip.source_limits (sourcelimit.go): the sources blocked
// now, and lifting a block at once (a legitimate office that went over a
// limit, a user who mistyped a password too often).
//
//	GET    /api/v1/sources/blocked        {"blocked": [{"source": "192.0.2.66", "until": "2026-12-07T14:03:00Z"}]}
//	DELETE /api/v1/sources/blocked/{ip}   204; 404 when ip is not blocked; 400 when it is not an IP

type blockJSON struct {
	Source string `json:"source"`
	Until  string `json:"until"` // RFC 3339, UTC
}

func (s *Server) mountSourceAPI(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v1/sources/blocked", func(w http.ResponseWriter, _ *http.Request) {
		out := struct {
			Blocked []blockJSON `json:"blocked"`
		}{Blocked: []blockJSON{}}
		for _, b := range s.limit.Blocks() {
			out.Blocked = append(out.Blocked, blockJSON{Source: b.Source.String(), Until: b.Until.UTC().Format(time.RFC3339)})
		}
		writeJSON(w, http.StatusOK, out)
	})
	mux.HandleFunc("DELETE /api/v1/sources/blocked/{ip}", func(w http.ResponseWriter, r *http.Request) {
		ip, err := netip.ParseAddr(r.PathValue("ip"))
		if err != nil || ip.Zone() != "" {
			writeError(w, badField("ip", "%q is not an IP address", r.PathValue("ip")))
			return
		}
		if !s.limit.Unblock(ip) {
			writeError(w, &apiError{Status: http.StatusNotFound, Message: ip.String() + " is not blocked"})
			return
		}
		s.log.Info("SIP source unblocked through the admin API", "source", ip.Unmap())
		w.WriteHeader(http.StatusNoContent)
	})
}
