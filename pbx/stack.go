package pbx

import (
	"pbxlab/internal/sipstack"
	"pbxlab/pbx/config"
)

// StackSettings returns the process-wide sipgo settings for a process that
// runs a PBX with cfg: pbxlab's defaults with the transaction timers of
// sip.t1, sip.t2 and sip.t4. The entry point passes them to sipstack.Setup
// (with its logger) before New.
func StackSettings(cfg *config.Config) sipstack.Settings {
	s := sipstack.Defaults()
	s.T1, s.T2, s.T4 = cfg.SIP.T1, cfg.SIP.T2, cfg.SIP.T4
	return s
}

// checkStack makes sure sipgo runs with pbxlab's settings: the entry
// point's (sipstack.Setup), else the defaults (sipstack.Ensure). It never
// changes settings the entry point chose; when their timers are not the
// configuration's, the PBX's own 2xx retransmission follows sip.t1/t2 while
// sipgo's transactions follow the process, and New says so in the log.
func (s *Server) checkStack() {
	st := sipstack.Ensure()
	if st.T1 != s.cfg.SIP.T1 || st.T2 != s.cfg.SIP.T2 || st.T4 != s.cfg.SIP.T4 {
		s.log.Warn("sip.t1/t2/t4 differ from the process's sipgo transaction timers; they drive only the PBX's 2xx retransmission",
			"t1", s.cfg.SIP.T1, "t2", s.cfg.SIP.T2, "t4", s.cfg.SIP.T4,
			"process_t1", st.T1, "process_t2", st.T2, "process_t4", st.T4)
	}
}
