package media

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/pbx/config"
	"pbxlab/pbx/internal/call"
)

// TestServicesConfigErrors: a prompt or the music on hold naming a media
// ID the library lacks, or a tone the plan lacks, stops the server at
// start with every problem named by its field.
func TestServicesConfigErrors(t *testing.T) {
	cfg := testMediaConfig()
	cfg.Prompts = map[string]config.Prompt{
		config.CauseVacant: {Media: "no-such-id"},
		config.CauseBusy:   {Tone: "warble"},
	}
	cfg.MOH = config.MOH{Media: "jazz"}
	_, err := New(cfg)
	if err == nil {
		t.Fatal("New accepted unknown media IDs and tones")
	}
	for _, want := range []string{`media.prompts.vacant.media: "no-such-id"`, `media.prompts.busy.tone`, `media.moh.media: "jazz"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
	if !errors.Is(err, ErrMediaID) || !errors.Is(err, ErrUnknownTone) {
		t.Errorf("error %v does not wrap ErrMediaID and ErrUnknownTone", err)
	}
	cfg = testMediaConfig()
	cfg.TonePlan = "uk"
	if _, err := New(cfg); !errors.Is(err, ErrUnknownTonePlan) || !strings.Contains(err.Error(), "media.tone_plan") {
		t.Errorf("unknown tone plan: %v", err)
	}
	cfg = testMediaConfig()
	cfg.Files = config.MediaFiles{Dir: t.TempDir(), IDs: map[string]string{"12": "missing.wav"}}
	if _, err := New(cfg); err == nil || !strings.Contains(err.Error(), `media.files`) || !strings.Contains(err.Error(), `"12"`) {
		t.Errorf("missing file: %v", err)
	}
}

// TestIntercept: a cause with a prompt gets a service; none when the
// cause's prompt is off or the media server is off (the plain error).
func TestIntercept(t *testing.T) {
	refuse := func(*call.Call) {}
	cfg := testMediaConfig()
	cfg.Prompts = map[string]config.Prompt{config.CauseBusy: {}}
	s, _ := newTestServer(t, cfg)
	if s.Intercept(config.CauseVacant, refuse) == nil {
		t.Error("no service for a vacant number (default: the built-in prompt)")
	}
	if s.Intercept(config.CauseBusy, refuse) != nil {
		t.Error("a service for busy, whose prompt is off")
	}
	if s.Intercept(config.CauseNoAnswer, refuse) != nil {
		t.Error("a service for no answer (off by default)")
	}
	cfg.Enabled = false
	off, _ := newTestServer(t, cfg)
	if off.Intercept(config.CauseVacant, refuse) != nil {
		t.Error("a service with the media server off")
	}
}

func TestCauses(t *testing.T) {
	for code, want := range map[int]string{404: config.CauseVacant, 403: config.CauseBarred, 486: config.CauseBusy, 600: config.CauseBusy,
		408: config.CauseNoAnswer, 480: config.CauseUnregistered, 503: config.CauseCongestion, 603: config.CauseRejected, 487: "", 200: ""} {
		if got := CauseOfStatus(code); got != want {
			t.Errorf("CauseOfStatus(%d) = %q, want %q", code, got, want)
		}
	}
	res := func(code int) *sip.Response { return sip.NewResponse(code, "x") }
	for _, c := range []struct {
		f    call.Failure
		want string
	}{
		{call.Failure{Kind: call.Unreachable}, config.CauseUnregistered},
		{call.Failure{Kind: call.Unreachable, Response: res(503)}, config.CauseCongestion},
		{call.Failure{Kind: call.Busy, Response: res(486)}, config.CauseBusy},
		{call.Failure{Kind: call.NoAnswer, Response: res(480)}, config.CauseNoAnswer},
		{call.Failure{Kind: call.Rejected, Response: res(603)}, config.CauseRejected},
		{call.Failure{Kind: call.Rejected, Response: res(403)}, config.CauseBarred},
	} {
		if got := CauseOfFailure(c.f); got != c.want {
			t.Errorf("CauseOfFailure(%s, %v) = %q, want %q", c.f.Kind, c.f.Response, got, c.want)
		}
	}
}

// TestPromptLength: the bound of a prompt is its tone's duration, its media
// ID's length, or the configured cut when shorter.
func TestPromptLength(t *testing.T) {
	s, _ := newTestServer(t, testMediaConfig())
	clip, err := s.svc.lib.Clip(PromptVacantNumber)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		p    prompt
		want time.Duration
	}{
		{prompt{tone: ToneBusy, dur: 3 * time.Second}, 3 * time.Second},
		{prompt{id: PromptVacantNumber}, clip.Duration()},
		{prompt{id: PromptVacantNumber, dur: time.Second}, time.Second},
		{prompt{id: PromptVacantNumber, dur: time.Hour}, clip.Duration()},
	} {
		if got := s.svc.length(c.p); got != c.want {
			t.Errorf("length(%+v) = %s, want %s", c.p, got, c.want)
		}
	}
}
