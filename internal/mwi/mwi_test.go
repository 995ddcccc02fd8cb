package mwi

import (
	"errors"
	"testing"
)

func TestFormatParseRoundTrip(t *testing.T) {
	for _, s := range []Summary{
		ForMailbox("sip:1001@pbxlab", 1, 0),
		ForMailbox("sip:1001@pbxlab", 0, 3),
		{Waiting: true, Voice: Counts{New: 2, Old: 8, UrgentNew: 1, UrgentOld: 2}, HasVoice: true},
		{Waiting: false},
	} {
		got, err := Parse(Format(s))
		if err != nil {
			t.Fatalf("Parse(Format(%+v)): %v", s, err)
		}
		if got != s {
			t.Errorf("round trip: got %+v, want %+v", got, s)
		}
	}
}

func TestFormatRFC3842Example(t *testing.T) {
	got := string(Format(ForMailbox("sip:alice@vmail.example.com", 2, 8)))
	want := "Messages-Waiting: yes\r\nMessage-Account: sip:alice@vmail.example.com\r\nVoice-Message: 2/8 (0/0)\r\n"
	if got != want {
		t.Errorf("Format = %q, want %q", got, want)
	}
	if no := string(Format(ForMailbox("", 0, 1))); no != "Messages-Waiting: no\r\nVoice-Message: 0/1 (0/0)\r\n" {
		t.Errorf("no new: %q", no)
	}
}

func TestParseRFC3842Body(t *testing.T) {
	// RFC 3842 §5.3 example, LF line ends, other classes and opt headers
	body := "Messages-Waiting: yes\nMessage-Account: sip:alice@vmail.example.com\nVoice-Message: 4/8 (1/2)\n" +
		"Fax-Message: 1/0\n\nMessage-ID: 3kd9sk8f@example.com\nTo: <sip:alice@example.com>\n"
	s, err := Parse([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	want := Summary{Waiting: true, Account: "sip:alice@vmail.example.com", Voice: Counts{New: 4, Old: 8, UrgentNew: 1, UrgentOld: 2}, HasVoice: true}
	if s != want {
		t.Errorf("got %+v, want %+v", s, want)
	}
	if s, err := Parse([]byte("messages-waiting: NO\r\nvoice-message: 0/0\r\n")); err != nil || s.Waiting || !s.HasVoice {
		t.Errorf("lower case: %+v, %v", s, err)
	}
}

func TestParseRejects(t *testing.T) {
	for _, body := range []string{
		"", "Voice-Message: 1/0\r\n", "Messages-Waiting: maybe\r\n", "Messages-Waiting yes\r\n",
		"Messages-Waiting: yes\r\nVoice-Message: 1\r\n", "Messages-Waiting: yes\r\nVoice-Message: a/b\r\n",
		"Messages-Waiting: yes\r\nVoice-Message: 1/0 (0/0\r\n", "Messages-Waiting: yes\r\nVoice-Message: -1/0\r\n",
		"Messages-Waiting: yes\r\nVoice-Message: 99999999999/0\r\n",
	} {
		if _, err := Parse([]byte(body)); !errors.Is(err, ErrSyntax) {
			t.Errorf("Parse(%q) = %v, want ErrSyntax", body, err)
		}
	}
	if _, err := Parse(make([]byte, MaxBody+1)); !errors.Is(err, ErrSyntax) {
		t.Errorf("oversized body: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("Messages-Waiting: yes\r\nMessage-Account: sip:a@b\r\nVoice-Message: 2/8 (0/2)\r\n"))
	f.Add([]byte("Messages-Waiting: no\n\nX: y\n"))
	f.Add([]byte("Voice-Message: 1/0 ("))
	f.Fuzz(func(t *testing.T, body []byte) {
		s, err := Parse(body)
		if err != nil {
			if !errors.Is(err, ErrSyntax) {
				t.Fatalf("error %v does not wrap ErrSyntax", err)
			}
			return
		}
		v := s.Voice
		if v.New < 0 || v.Old < 0 || v.UrgentNew < 0 || v.UrgentOld < 0 {
			t.Fatalf("negative counts %+v", v)
		}
		// what parsed, formatted, parses the same (the account aside: it may hold CR)
		s.Account = ""
		again, err := Parse(Format(s))
		if err != nil || again != s {
			t.Fatalf("re-parse of %+v: %+v, %v", s, again, err)
		}
	})
}
