package config

import (
	"maps"
	"slices"
	"strings"
	"time"
)

// Causes of a call that cannot complete, the keys of media.prompts (the
// manual's "call interception and voice prompts").
const (
	CauseVacant       = "vacant"       // the dialled number does not exist (404)
	CauseUnregistered = "unregistered" // the subscriber has no registered contact (480)
	CauseBusy         = "busy"         // every target was busy (486/600)
	CauseNoAnswer     = "no_answer"    // nobody answered (no-answer timer, 408/480)
	CauseRejected     = "rejected"     // a target refused the call (603 and other refusals)
	CauseBarred       = "barred"       // the call is not allowed (403)
	CauseCongestion   = "congestion"   // no route or no resource (503)
	CauseSuspended    = "suspended"    // the caller (403) or the callee (480) is a suspended subscriber
)

// PromptCauses lists every cause media.prompts knows, sorted.
func PromptCauses() []string {
	return []string{CauseBarred, CauseBusy, CauseCongestion, CauseNoAnswer, CauseRejected, CauseSuspended, CauseUnregistered, CauseVacant}
}

// toneNames are the tones a prompt or the music on hold may play (the
// tones of every plan, see media.ToneKinds).
var toneNames = []string{"busy", "call-waiting", "confirmation", "congestion", "dial", "error", "ringback"}

// Prompt is what a caller hears in early media (183 Session Progress, the
// media anchored by the PBX) before the final error of a call that cannot
// complete: a media ID of media.files (or a built-in prompt such as
// "vacant-number", "not-registered", "number-busy", "call-barred",
// "service-suspended"), or a
// tone of media.tone_plan. Neither (media: "" and tone: "") turns the
// prompt off for that cause: the caller gets the plain final error.
type Prompt struct {
	// Media is a media ID; exclusive with Tone.
	Media string `yaml:"media"`
	// Tone is a tone of the tone plan: busy, congestion, error, ...
	Tone string `yaml:"tone"`
	// Duration bounds the prompt: a media ID plays once (cut at Duration
	// if set), a tone plays for Duration. 0: a media ID once, a tone 4 s.
	// At most 60 s.
	Duration time.Duration `yaml:"duration"`
}

// Off reports whether the prompt plays nothing.
func (p Prompt) Off() bool { return p.Media == "" && p.Tone == "" }

// MediaFiles is the media.files section: media ID -> WAV file (8 kHz mono
// PCM16, µ-law or A-law) in one folder, checked at start.
type MediaFiles struct {
	// Dir is the folder of the files; required when IDs is not empty.
	Dir string `yaml:"dir"`
	// IDs maps a media ID to a file name inside Dir. A configured ID of a
	// built-in prompt's name replaces it.
	IDs map[string]string `yaml:"ids"`
	// MaxFileBytes refuses larger files (0: the media server's default).
	MaxFileBytes int64 `yaml:"max_file_bytes"`
}

// MOH is the media.moh section: what a held party hears.
type MOH struct {
	// Off turns music on hold off: a hold passes through unchanged (the
	// held party hears silence). Default false.
	Off bool `yaml:"off"`
	// Media is a media ID to loop; exclusive with Tone. Default "" (with
	// no Tone): the built-in synthesized tune.
	Media string `yaml:"media"`
	// Tone is a tone of the tone plan to loop instead.
	Tone string `yaml:"tone"`
}

// maxPromptDuration bounds a prompt (the caller waits for the final error
// meanwhile).
const maxPromptDuration = 60 * time.Second

// DefaultPrompts is media.prompts when the configuration names none: the
// built-in voice prompts for vacant number, subscriber not registered,
// busy and barred (the manual's call interception) and suspended subscriber
// (subscriber management). No answer (the caller
// has waited already), refusals and congestion get the plain final error
// unless configured.
func DefaultPrompts() map[string]Prompt {
	return map[string]Prompt{
		CauseVacant:       {Media: "vacant-number"},
		CauseUnregistered: {Media: "not-registered"},
		CauseBusy:         {Media: "number-busy"},
		CauseBarred:       {Media: "call-barred"},
		CauseSuspended:    {Media: "service-suspended"},
	}
}

// PromptFor returns the prompt of a cause (media.prompts, else the
// default; a cause that media.prompts leaves out keeps its default).
func (m Media) PromptFor(cause string) Prompt {
	if p, ok := m.Prompts[cause]; ok {
		return p
	}
	return DefaultPrompts()[cause]
}

func (v *validator) mediaPrompts() {
	m := v.c.Media
	if m.TonePlan != "" && !slices.Contains([]string{"cn", "us"}, strings.ToLower(m.TonePlan)) {
		v.errorf("media.tone_plan", "unknown tone plan %q (want cn or us)", m.TonePlan)
	}
	for _, cause := range slices.Sorted(maps.Keys(m.Prompts)) {
		p := m.Prompts[cause]
		path := "media.prompts." + cause
		if !slices.Contains(PromptCauses(), cause) {
			v.errorf(path, "unknown cause %q (want one of %s)", cause, strings.Join(PromptCauses(), ", "))
			continue
		}
		v.mediaSource(path, p.Media, p.Tone)
		if p.Duration < 0 || p.Duration > maxPromptDuration {
			v.errorf(path+".duration", "must be between 0 and %s, got %s", maxPromptDuration, p.Duration)
		}
	}
	v.mediaSource("media.moh", m.MOH.Media, m.MOH.Tone)
	if len(m.Files.IDs) > 0 && m.Files.Dir == "" {
		v.errorf(v.inSource("media.files.dir", "media.files.ids"), "required with media.files.ids (%d media IDs)", len(m.Files.IDs))
	}
	if m.Files.MaxFileBytes < 0 {
		v.errorf("media.files.max_file_bytes", "must not be negative, got %d", m.Files.MaxFileBytes)
	}
	for _, id := range slices.Sorted(maps.Keys(m.Files.IDs)) {
		if id == "" {
			v.errorf("media.files.ids", "empty media ID")
		}
	}
}

// mediaSource checks a media ID / tone pair (a media ID is checked against
// the library when the media server starts).
func (v *validator) mediaSource(path, media, tone string) {
	switch {
	case media != "" && tone != "":
		v.errorf(path, "media %q and tone %q: set one of them", media, tone)
	case tone != "" && !slices.Contains(toneNames, tone):
		v.errorf(path+".tone", "unknown tone %q (want one of %s)", tone, strings.Join(toneNames, ", "))
	}
}
