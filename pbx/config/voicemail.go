package config

import (
	"fmt"
	"strings"
	"time"
)

// Voicemail is the "voicemail" section: the mailboxes of the media server
// (deposit on busy or no answer, retrieval by a number, MWI).
type Voicemail struct {
	// Number is the voicemail number a subscriber dials to hear their
	// messages (digits, not a subscriber's number); "" turns retrieval
	// off. Default "".
	Number string `yaml:"number"`
	// Dir is the folder of the recorded messages and greetings (one
	// sub-folder per mailbox), created when missing. "" keeps them in a
	// folder "voicemail" beside store.path, or in a temporary folder when
	// the store is in memory. Default "".
	Dir string `yaml:"dir"`
	// MaxMessage bounds one recorded message (and a recorded greeting):
	// the PBX hangs up when it is reached. > 0. Default 2m.
	MaxMessage time.Duration `yaml:"max_message"`
	// Idle ends a retrieval call when no digit came for this long. > 0.
	// Default 30s.
	Idle time.Duration `yaml:"idle"`
	// MWIUnsolicited sends an unsolicited NOTIFY (message-summary, RFC
	// 3842) to a subscriber's registered contacts whenever their mailbox
	// changes, besides the NOTIFYs of SUBSCRIBE dialogs. Default false.
	MWIUnsolicited bool `yaml:"mwi_unsolicited"`
	// MWIExpires is the longest MWI subscription granted (a SUBSCRIBE
	// asking for more, or naming none, gets this). > 0. Default 3600s.
	MWIExpires time.Duration `yaml:"mwi_expires" unit:"s"`
}

// SubscriberVoicemail is a subscriber's mailbox (subscribers[].voicemail).
type SubscriberVoicemail struct {
	// Enabled gives the subscriber a mailbox: messages can be retrieved
	// and MWI subscribed to. Default false.
	Enabled bool `yaml:"enabled"`
	// OnBusy sends a call the subscriber's contacts refuse as busy (486,
	// 600) to the mailbox. Needs Enabled. Default false.
	OnBusy bool `yaml:"on_busy"`
	// OnNoAnswer sends a call that rang for call.no_answer_timeout (or
	// was refused with 408/480, or found no contact) to the mailbox.
	// Needs Enabled. Default false.
	OnNoAnswer bool `yaml:"on_no_answer"`
}

func defaultVoicemail() Voicemail {
	return Voicemail{MaxMessage: 2 * time.Minute, Idle: 30 * time.Second, MWIExpires: time.Hour}
}

// Mailboxes returns the numbers of the subscribers with a mailbox.
func (c *Config) Mailboxes() []string {
	var out []string
	for _, s := range c.ExplicitSubscribers {
		if s.Voicemail.Enabled {
			out = append(out, s.Number)
		}
	}
	return out
}

func (v *validator) voicemail() {
	vm := v.c.Voicemail
	if vm.Number != "" {
		if strings.Trim(vm.Number, "0123456789") != "" || len(vm.Number) > maxNumberDigits {
			v.errorf("voicemail.number", "must be 1 to %d digits, got %q", maxNumberDigits, vm.Number)
		}
		for i, s := range v.c.ExplicitSubscribers {
			if s.Number == vm.Number {
				v.errorf("voicemail.number", "%q is also subscribers[%d].number", vm.Number, i)
			}
		}
	}
	if strings.ContainsRune(vm.Dir, 0) {
		v.errorf("voicemail.dir", "may not contain a NUL byte")
	}
	v.positive("voicemail.max_message", vm.MaxMessage)
	v.positive("voicemail.idle", vm.Idle)
	if vm.MWIExpires < time.Second {
		v.errorf("voicemail.mwi_expires", "must be at least 1 second, got %s", vm.MWIExpires)
	}
	for i, s := range v.c.ExplicitSubscribers {
		sv := s.Voicemail
		p := fmt.Sprintf("subscribers[%d].voicemail", i)
		if (sv.OnBusy || sv.OnNoAnswer) && !sv.Enabled {
			v.errorf(v.inSource(p+".enabled", p), "on_busy and on_no_answer need enabled: true")
		}
	}
}
