package config

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"pbxlab/pbx/internal/media/ivr"
)

// IVR is one auto-attendant (YAML "ivrs"): a file of menus in the IVR
// format (pbx/internal/media/ivr: numbers -> entry menu, menus of prompts
// and digit options). Dialling one of its numbers enters its menu.
type IVR struct {
	// File is the IVR's YAML file; a relative path is taken from the
	// folder of the configuration file (Parse stores it resolved). It is loaded and checked with the
	// configuration (dangling menu references, failure loops, bad digits,
	// each reported with the IVR file's line); its prompts' media IDs are
	// checked against the media library when the PBX starts. Required.
	File string `yaml:"file"`
}

// resolveIVRFiles makes each relative ivrs[].file relative to the folder
// of the configuration file name (as Parse reads it), so that the file is
// found whatever the working directory, and a printed configuration names
// the same files.
func (c *Config) resolveIVRFiles(name string) {
	for i, r := range c.IVRs {
		if r.File != "" && !filepath.IsAbs(r.File) {
			c.IVRs[i].File = filepath.Join(filepath.Dir(name), r.File)
		}
	}
}

// IVRPath is where the file of r is (resolved by Parse; as given for a
// Config built in Go).
func (c *Config) IVRPath(r IVR) string { return r.File }

// LoadIVRs loads every IVR file; opts (ivr.WithMediaIDs) add checks.
func (c *Config) LoadIVRs(opts ...ivr.Option) ([]*ivr.Config, error) {
	out := make([]*ivr.Config, 0, len(c.IVRs))
	for i, r := range c.IVRs {
		cfg, err := ivr.LoadFile(c.IVRPath(r), opts...)
		if err != nil {
			return nil, fmt.Errorf("ivrs[%d].file: %w", i, err)
		}
		out = append(out, cfg)
	}
	return out, nil
}

// ivrs checks that every IVR file loads and that its numbers are nobody
// else's (a subscriber, a conference room, another IVR).
func (v *validator) ivrs() {
	c := v.c
	taken := map[string]string{}
	for _, s := range c.Subscribers() {
		taken[s.Number] = "subscriber " + s.Number
	}
	for i, r := range c.Conferences {
		taken[r.Number] = fmt.Sprintf("conferences[%d]", i)
	}
	for i, r := range c.IVRs {
		p := fmt.Sprintf("ivrs[%d].file", i)
		if strings.TrimSpace(r.File) == "" {
			v.errorf(p, "file is required")
			continue
		}
		cfg, err := ivr.LoadFile(c.IVRPath(r))
		if err != nil {
			v.errorf(p, "%s", strings.ReplaceAll(err.Error(), "\n", "; "))
			continue
		}
		v.ivrTargets(p, r.File, cfg)
		for _, num := range slices.Sorted(maps.Keys(cfg.Numbers)) {
			if who, dup := taken[num]; dup {
				v.errorf(p, "IVR number %q of %s is also %s", num, r.File, who)
				continue
			}
			taken[num] = p
		}
	}
}

// ivrTargets checks that every extension an IVR calls and every mailbox it
// sends to is a subscriber (a typo would only show when a caller chose it).
func (v *validator) ivrTargets(path, file string, cfg *ivr.Config) {
	subs := map[string]bool{}
	for _, s := range v.c.Subscribers() {
		subs[s.Number] = true
	}
	check := func(menu, what string, a *ivr.Action) {
		switch {
		case a == nil:
		case a.Call != "" && !subs[a.Call]:
			v.errorf(path, "%s: menu %s, %s calls %s, which is no subscriber", file, menu, what, a.Call)
		case a.Voicemail != "" && !subs[a.Voicemail]:
			v.errorf(path, "%s: menu %s, %s: voicemail %s is no subscriber's", file, menu, what, a.Voicemail)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(cfg.Menus)) {
		m := cfg.Menus[name]
		for _, key := range slices.Sorted(maps.Keys(m.Options)) {
			check(name, "option "+key, m.Options[key])
		}
		check(name, "on_fail", m.OnFail)
	}
}
