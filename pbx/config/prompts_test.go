package config

import (
	"reflect"
	"testing"
	"time"
)

// TestParsePrompts: media.prompts, media.moh, media.files and
// media.tone_plan are read strictly, keep the defaults of the causes they
// leave out, and round-trip through Marshal.
func TestParsePrompts(t *testing.T) {
	c, err := Parse("pbx.yaml", []byte(`
media:
  tone_plan: us
  files:
    dir: /srv/media
    ids: {"12": welcome.wav, vacant-number: ours.wav}
    max_file_bytes: 1000000
  prompts:
    vacant: {media: "12"}
    busy: {tone: busy, duration: 5s}
    no_answer: {}
  moh: {tone: dial}
`))
	if err != nil {
		t.Fatal(err)
	}
	m := c.Media
	if m.TonePlan != "us" || m.Files.Dir != "/srv/media" || m.Files.IDs["12"] != "welcome.wav" || m.Files.MaxFileBytes != 1000000 || m.MOH.Tone != "dial" {
		t.Fatalf("media = %+v", m)
	}
	for cause, want := range map[string]Prompt{
		CauseVacant:       {Media: "12"},
		CauseBusy:         {Tone: "busy", Duration: 5 * time.Second},
		CauseNoAnswer:     {},
		CauseUnregistered: {Media: "not-registered"}, // left out: the default
		CauseCongestion:   {},
	} {
		if got := m.PromptFor(cause); got != want {
			t.Errorf("PromptFor(%s) = %+v, want %+v", cause, got, want)
		}
	}
	if !m.PromptFor(CauseNoAnswer).Off() || m.PromptFor(CauseVacant).Off() {
		t.Error("Off: an empty prompt is off, a media ID is not")
	}
	out, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	again, err := Parse("printed.yaml", out)
	if err != nil {
		t.Fatalf("parse printed config: %v\n%s", err, out)
	}
	if !reflect.DeepEqual(again.Media, c.Media) {
		t.Errorf("printed config does not round-trip:\n%+v\n%+v", again.Media, c.Media)
	}
	if d := Defaults().Media; d.TonePlan != "cn" || d.MOH.Off || len(d.Prompts) != 0 {
		t.Errorf("default media = %+v", d)
	}
}

func TestPromptErrors(t *testing.T) {
	for _, tt := range []struct{ name, yaml, want string }{
		{"unknown cause", "media:\n  prompts:\n    vacnat: {tone: busy}\n",
			`pbx.yaml:3: media.prompts.vacnat: unknown cause "vacnat" (want one of barred, busy, congestion, no_answer, rejected, suspended, unregistered, vacant)`},
		{"media and tone", "media:\n  prompts:\n    busy: {media: x, tone: busy}\n",
			`pbx.yaml:3: media.prompts.busy: media "x" and tone "busy": set one of them`},
		{"unknown tone", "media:\n  prompts:\n    busy:\n      tone: bussy\n",
			`pbx.yaml:4: media.prompts.busy.tone: unknown tone "bussy" (want one of busy, call-waiting, confirmation, congestion, dial, error, ringback)`},
		{"long prompt", "media:\n  prompts:\n    busy:\n      tone: busy\n      duration: 2m\n",
			`pbx.yaml:5: media.prompts.busy.duration: must be between 0 and 1m0s, got 2m0s`},
		{"unknown field", "media:\n  prompts:\n    busy: {tone: busy, lenght: 2s}\n",
			`pbx.yaml:3: media.prompts.busy: unknown field "lenght"`},
		{"tone plan", "media:\n  tone_plan: uk\n", `pbx.yaml:2: media.tone_plan: unknown tone plan "uk" (want cn or us)`},
		{"moh tone", "media:\n  moh: {tone: jazz}\n", `pbx.yaml:2: media.moh.tone: unknown tone "jazz" (want one of busy, call-waiting, confirmation, congestion, dial, error, ringback)`},
		{"files without dir", "media:\n  files:\n    ids: {a: a.wav}\n", `pbx.yaml:3: media.files.ids: required with media.files.ids (1 media IDs)`},
		{"prompts not a map", "media:\n  prompts: [busy]\n", `pbx.yaml:2: media.prompts: want a mapping, got a list`},
		{"duplicate cause", "media:\n  prompts:\n    busy: {}\n    busy: {}\n", `pbx.yaml:4: media.prompts.busy: duplicate key (first at line 3)`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("pbx.yaml", []byte(tt.yaml))
			if err == nil {
				t.Fatalf("Parse succeeded: %+v", c.Media)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("error\n got: %s\nwant: %s", got, tt.want)
			}
		})
	}
}
