package media

import (
	"errors"
	"testing"
	"time"
)

func TestParseDTMFInfo(t *testing.T) {
	for _, tc := range []struct {
		ct, body string
		want     InfoDigit
		err      error
	}{
		{"application/dtmf-relay", "Signal=5\r\nDuration=160\r\n", InfoDigit{'5', 160 * time.Millisecond}, nil},
		{"Application/DTMF-Relay; charset=utf-8", "signal= #\nduration = 250", InfoDigit{'#', 250 * time.Millisecond}, nil},
		{"application/dtmf-relay", "Signal=*", InfoDigit{'*', 0}, nil},
		{"application/dtmf-relay", "Signal=11\r\nDuration=100", InfoDigit{'#', 100 * time.Millisecond}, nil},
		{"application/dtmf-relay", "Signal=d\r\nFoo=bar\r\n\r\n", InfoDigit{'D', 0}, nil},
		{"application/dtmf", "7", InfoDigit{'7', 0}, nil},
		{"application/dtmf", " 10\r\n", InfoDigit{'*', 0}, nil},
		{"application/dtmf-relay", "Duration=160", InfoDigit{}, ErrDTMFInfo},
		{"application/dtmf-relay", "Signal=5\r\nSignal=6", InfoDigit{}, ErrDTMFInfo},
		{"application/dtmf-relay", "Signal=E", InfoDigit{}, ErrDTMFInfo},
		{"application/dtmf-relay", "Signal=16", InfoDigit{}, ErrDTMFInfo},
		{"application/dtmf-relay", "Signal=256", InfoDigit{}, ErrDTMFInfo},
		{"application/dtmf-relay", "Signal=5\r\nDuration=-1", InfoDigit{}, ErrDTMFInfo},
		{"application/dtmf-relay", "Signal=5\r\nDuration=99999", InfoDigit{}, ErrDTMFInfo},
		{"application/dtmf-relay", "Signal=5\r\nDuration=1\r\nDuration=2", InfoDigit{}, ErrDTMFInfo},
		{"application/dtmf-relay", "Signal 5", InfoDigit{}, ErrDTMFInfo},
		{"application/dtmf-relay", "", InfoDigit{}, ErrDTMFInfo},
		{"application/dtmf", "", InfoDigit{}, ErrDTMFInfo},
		{"application/dtmf", "12 3", InfoDigit{}, ErrDTMFInfo},
		{"application/dtmf", string(make([]byte, MaxDTMFInfoBody+1)), InfoDigit{}, ErrDTMFInfo},
		{"application/sdp", "v=0", InfoDigit{}, ErrDTMFContentType},
		{"", "Signal=5", InfoDigit{}, ErrDTMFContentType},
		{"application/", "Signal=5", InfoDigit{}, ErrDTMFContentType},
	} {
		got, err := ParseDTMFInfo(tc.ct, []byte(tc.body))
		if tc.err != nil {
			if !errors.Is(err, tc.err) {
				t.Errorf("%q %q: %v, want %v", tc.ct, tc.body, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%q %q: %+v, %v; want %+v", tc.ct, tc.body, got, err, tc.want)
		}
	}
}

// FuzzParseDTMFInfo: arbitrary content types and bodies never panic, and a
// parsed digit is always a DTMF digit.
func FuzzParseDTMFInfo(f *testing.F) {
	f.Add("application/dtmf-relay", []byte("Signal=5\r\nDuration=160\r\n"))
	f.Add("application/dtmf", []byte("#"))
	f.Add("application/dtmf-relay; x=\"y\"", []byte("Signal=10\nDuration=00"))
	f.Add("text/plain", []byte("5"))
	f.Fuzz(func(t *testing.T, ct string, body []byte) {
		d, err := ParseDTMFInfo(ct, body)
		if err != nil {
			if !errors.Is(err, ErrDTMFInfo) && !errors.Is(err, ErrDTMFContentType) {
				t.Fatalf("error outside the sentinels: %v", err)
			}
			return
		}
		if _, err := EventOfDigit(d.Digit); err != nil || d.Duration < 0 || d.Duration > 65535*time.Millisecond {
			t.Fatalf("parsed %+v", d)
		}
	})
}
