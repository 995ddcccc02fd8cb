package media

import (
	"errors"
	"fmt"
	"time"

	"pbxlab/internal/clock"
	"pbxlab/pbx/config"
)

// services is what the media server plays: the media library, the tone
// plan, the prompts of calls that cannot complete, the music on hold, and
// the one pacer every player runs on.
type services struct {
	lib     *Library
	plan    *TonePlan
	pacer   *Pacer
	prompts map[string]prompt // by cause; a cause whose prompt is off is absent
	moh     func() Source     // nil: music on hold is off
}

// prompt is one cause's announcement, checked at start.
type prompt struct {
	id   string
	tone ToneKind
	dur  time.Duration
}

// defaultToneDuration is how long a tone prompt plays when no duration is
// configured.
const defaultToneDuration = 4 * time.Second

// newServices loads the library and the tone plan and checks every prompt
// and the music on hold against them. Every problem is reported at once,
// each naming its field (media.prompts.vacant.media: unknown media ID ...).
func newServices(cfg config.Media, c clock.Clock) (*services, error) {
	planName := cfg.TonePlan
	if planName == "" {
		planName = "cn"
	}
	plan, err := TonePlanByName(planName)
	if err != nil {
		return nil, fmt.Errorf("media.tone_plan: %w", err)
	}
	lib, err := NewLibrary(LibraryConfig{Dir: cfg.Files.Dir, IDs: cfg.Files.IDs, MaxFileBytes: cfg.Files.MaxFileBytes})
	if err != nil {
		return nil, fmt.Errorf("media.files: %w", err)
	}
	s := &services{lib: lib, plan: plan, pacer: NewPacer(c), prompts: map[string]prompt{}}
	var errs []error
	for _, cause := range config.PromptCauses() {
		p := cfg.PromptFor(cause)
		if p.Off() {
			continue
		}
		pr := prompt{id: p.Media, tone: ToneKind(p.Tone), dur: p.Duration}
		if err := s.check("media.prompts."+cause, pr.id, pr.tone); err != nil {
			errs = append(errs, err)
			continue
		}
		if pr.tone != "" && pr.dur == 0 {
			pr.dur = defaultToneDuration
		}
		s.prompts[cause] = pr
	}
	if !cfg.MOH.Off {
		if err := s.check("media.moh", cfg.MOH.Media, ToneKind(cfg.MOH.Tone)); err != nil {
			errs = append(errs, err)
		}
		s.moh = lib.MusicOnHold
		switch id := cfg.MOH.Media; {
		case id != "":
			s.moh = func() Source {
				src, _ := lib.Source(id) // checked above
				return Looping(src)
			}
		case cfg.MOH.Tone != "":
			kind := ToneKind(cfg.MOH.Tone)
			s.moh = func() Source {
				src, _ := plan.Tone(kind) // checked above
				return Looping(src)
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return s, nil
}

// check reports a media ID the library lacks or a tone the plan lacks,
// naming the field.
func (s *services) check(path, id string, tone ToneKind) error {
	if id != "" && !s.lib.Has(id) {
		return fmt.Errorf("%s.media: %q: %w", path, id, ErrMediaID)
	}
	if tone != "" {
		if _, err := s.plan.Spec(tone); err != nil {
			return fmt.Errorf("%s.tone: %w", path, err)
		}
	}
	return nil
}

// source returns a fresh Source of a prompt.
func (s *services) source(p prompt) (Source, error) {
	var (
		src Source
		err error
	)
	if p.tone != "" {
		src, err = s.plan.Tone(p.tone)
	} else {
		src, err = s.lib.Source(p.id)
	}
	if err != nil {
		return nil, err
	}
	if p.dur > 0 {
		src = Limit(src, p.dur)
	}
	return src, nil
}

// length is how long a prompt plays: its duration, or its media ID's
// length when it plays once.
func (s *services) length(p prompt) time.Duration {
	if p.tone != "" {
		return p.dur
	}
	c, err := s.lib.Clip(p.id)
	if err != nil {
		return p.dur
	}
	if p.dur > 0 {
		return min(p.dur, c.Duration())
	}
	return c.Duration()
}
