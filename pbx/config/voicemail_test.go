package config

import (
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"
)

func TestParseVoicemail(t *testing.T) {
	c, err := Parse("pbx.yaml", []byte(`
voicemail:
  number: "600"
  dir: /var/lib/pbxlab/voicemail
  max_message: 90s
  idle: 20s
  mwi_unsolicited: true
  mwi_expires: 1800
subscribers:
  - {number: "1", password: x, voicemail: {enabled: true, on_busy: true, on_no_answer: true}}
  - {number: "2", password: y, voicemail: {enabled: true}}
  - {number: "3", password: z}
`))
	if err != nil {
		t.Fatal(err)
	}
	want := Voicemail{Number: "600", Dir: "/var/lib/pbxlab/voicemail", MaxMessage: 90 * time.Second, Idle: 20 * time.Second,
		MWIUnsolicited: true, MWIExpires: 30 * time.Minute}
	if c.Voicemail != want {
		t.Errorf("voicemail = %+v, want %+v", c.Voicemail, want)
	}
	if got := c.Mailboxes(); !slices.Equal(got, []string{"1", "2"}) {
		t.Errorf("mailboxes %v", got)
	}
	if s := c.Subscribers()[0].Voicemail; s != (SubscriberVoicemail{Enabled: true, OnBusy: true, OnNoAnswer: true}) {
		t.Errorf("subscriber 1 voicemail %+v", s)
	}
	if d := Defaults().Voicemail; d != (Voicemail{MaxMessage: 2 * time.Minute, Idle: 30 * time.Second, MWIExpires: time.Hour}) {
		t.Errorf("defaults %+v", d)
	}
	out, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	again, err := Parse("printed.yaml", out)
	if err != nil {
		t.Fatalf("parse printed config: %v\n%s", err, out)
	}
	if again.Voicemail != c.Voicemail || !reflect.DeepEqual(again.Mailboxes(), c.Mailboxes()) || again.ExplicitSubscribers[0].Voicemail != c.ExplicitSubscribers[0].Voicemail {
		t.Errorf("printed config does not round-trip: %+v", again.Voicemail)
	}
}

func TestValidateVoicemail(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"voicemail:\n  number: \"6a\"\n", `pbx.yaml:2: voicemail.number: must be 1 to 32 digits, got "6a"`},
		{"voicemail:\n  number: \"1\"\nsubscribers:\n  - {number: \"1\", password: x}\n", `pbx.yaml:2: voicemail.number: "1" is also subscribers[0].number`},
		{"voicemail:\n  max_message: 0s\n", `pbx.yaml:2: voicemail.max_message: must be greater than 0, got 0s`},
		{"voicemail:\n  idle: -1s\n", `pbx.yaml:2: voicemail.idle: must be greater than 0, got -1s`},
		{"voicemail:\n  mwi_expires: 0\n", `pbx.yaml:2: voicemail.mwi_expires: must be at least 1 second, got 0s`},
		{"subscribers:\n  - number: \"1\"\n    password: x\n    voicemail: {on_busy: true}\n",
			`pbx.yaml:4: subscribers[0].voicemail: on_busy and on_no_answer need enabled: true`},
	} {
		_, err := Parse("pbx.yaml", []byte(tc.yaml))
		var fe *FieldError
		if !errors.As(err, &fe) || err.Error() != tc.want {
			t.Errorf("%q:\n got %v\nwant %s", tc.yaml, err, tc.want)
		}
	}
	if _, err := Parse("pbx.yaml", []byte("voicemail:\n  numbr: \"600\"\n")); err == nil {
		t.Error("unknown voicemail field accepted")
	}
}
