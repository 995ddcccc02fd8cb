package pbx

import (
	"context"
	"fmt"

	"github.com/emiago/sipgo/sip"

	"pbxlab/pbx/internal/attendant"
	"pbxlab/pbx/internal/call"
	"pbxlab/pbx/internal/media/ivr"
)

// initIVR loads the IVR files of the configuration (ivrs), their prompts
// checked against the media library, and builds the attendant that runs
// them. With the media server off the files are still checked (their
// numbers then answer 486, as every media service does).
func (s *Server) initIVR() error {
	var opts []ivr.Option
	if s.media.Enabled() {
		opts = append(opts, ivr.WithMediaIDs(s.media.HasMedia))
	}
	cfgs, err := s.cfg.LoadIVRs(opts...)
	if err != nil {
		return fmt.Errorf("load ivrs: %w", err)
	}
	a, err := attendant.New(cfgs, s.media, s.locate,
		attendant.WithLogger(s.log.With("component", "ivr")),
		attendant.WithClock(s.clock),
		attendant.WithRingTimeout(s.cfg.Call.NoAnswerTimeout),
		attendant.WithVoicemail(s.ivrVoicemail))
	if err != nil {
		return err
	}
	s.ivr = a
	return nil
}

// routeIVR is number analysis for IVR numbers: the attendant takes the
// call (the media server must be on).
func (s *Server) routeIVR(in call.Incoming) (call.Decision, bool) {
	if s.ivr == nil || !s.ivr.Has(in.Dialled) {
		return call.Decision{}, false
	}
	if err := s.media.Require(); err != nil {
		return call.Decision{Kind: call.Reject, Callee: in.Dialled, Err: err}, true
	}
	return call.Decision{Kind: call.ToService, Callee: in.Dialled, Service: s.ivr.Service(in.Dialled)}, true
}

// inDialog is the policy's in-dialog hook: SIP INFO DTMF of a call in an
// IVR menu goes to the attendant; the rest is not handled (the call layer
// answers 481 to an INFO with no far end, 405 otherwise).
func (s *Server) inDialog(ctx context.Context, r call.InDialogRequest) (*sip.Response, error) {
	if r.Request.Method == sip.REFER {
		return s.refer(ctx, r) // transfer.go
	}
	if r.Request.Method != sip.INFO {
		return nil, call.ErrNotHandled
	}
	if res, ok := s.voicemailInfo(r.Call, r.Request); ok {
		return res, nil
	}
	if res, ok := s.interventionInfo(r.Call, r.Request); ok {
		return res, nil // *89# from an intervener (intervention.go)
	}
	if s.ivr != nil {
		if res, ok := s.ivr.Info(r.Call, r.Request); ok {
			return res, nil
		}
	}
	return nil, call.ErrNotHandled
}
