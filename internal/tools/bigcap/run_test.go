package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/pion/rtp"

	"pbxlab/internal/flow"
	"pbxlab/internal/pcapio"
	"pbxlab/internal/sipwire"
)

const template = "../../../pcaps/golden/basic-call.pcapng"

// TestBigcapClonesTheTemplate: N copies read back with sipwire, each copy
// (its Call-IDs' suffix) normalising to the template's very flow, the
// whole N times the template's dialogs, packets in time order; with -rtp,
// RTP packets that parse.
func TestBigcapClonesTheTemplate(t *testing.T) {
	tplMsgs, err := sipwire.ReadFile(template)
	if err != nil {
		t.Fatal(err)
	}
	tplFlow := flow.New(tplMsgs).String()
	tplCalls := calls(flow.New(tplMsgs))
	tests := []struct {
		name string
		args []string
		n    int
		rtp  bool
	}{
		{"sequential", []string{"-dialogs", "3"}, 3, false},
		{"interleaved with rtp", []string{"-dialogs", "4", "-concurrent", "3", "-rtp", "-talk", "300ms"}, 4, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "big.pcapng")
			var stdout, stderr bytes.Buffer
			if err := run(t.Context(), append([]string{"-template", template, "-o", out}, tc.args...), &stdout, &stderr); err != nil {
				t.Fatalf("%v\n%s", err, stderr.String())
			}
			if !strings.Contains(stdout.String(), strconv.Itoa(tc.n)+" copies") {
				t.Errorf("summary %q", stdout.String())
			}
			msgs, err := sipwire.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if len(msgs) != tc.n*len(tplMsgs) {
				t.Fatalf("%d SIP messages, want %d × %d", len(msgs), tc.n, len(tplMsgs))
			}
			if got := calls(flow.New(msgs)); got != tc.n*tplCalls {
				t.Errorf("%d dialogs, want %d × %d", got, tc.n, tplCalls)
			}
			for i := range tc.n {
				suffix := "-c" + strconv.Itoa(i)
				var copyMsgs []sipwire.Message
				for _, m := range msgs {
					if strings.HasSuffix(m.Msg.CallID().Value(), suffix) {
						copyMsgs = append(copyMsgs, m)
					}
				}
				if got := flow.New(copyMsgs).String(); got != tplFlow {
					t.Errorf("copy %d's flow differs from the template's:\n%s", i, flow.Compare(flow.New(tplMsgs), flow.New(copyMsgs)))
				}
			}
			pkts, err := pcapio.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			nrtp := 0
			for j, p := range pkts {
				if j > 0 && p.Time.Before(pkts[j-1].Time) {
					t.Fatalf("packet %d at %v, before packet %d at %v", j, p.Time, j-1, pkts[j-1].Time)
				}
				if len(pcapio.SIPMessages([]pcapio.Packet{p})) == 1 {
					continue
				}
				var r rtp.Packet
				if err := r.Unmarshal(p.Payload); err != nil || r.PayloadType != 0 || len(r.Payload) != rtpPayload {
					t.Fatalf("packet %d is neither SIP nor G.711 RTP: %v", j, err)
				}
				nrtp++
			}
			if tc.rtp != (nrtp > 0) {
				t.Errorf("%d RTP packets with -rtp %v", nrtp, tc.rtp)
			}
		})
	}
}

func calls(f flow.Flow) int {
	seen := map[string]bool{}
	for _, s := range f.Steps {
		seen[s.Call] = true
	}
	return len(seen)
}

// TestBigcapSize: -size writes whole copies until the file reaches it.
func TestBigcapSize(t *testing.T) {
	tplMsgs, err := sipwire.ReadFile(template)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "sized.pcapng")
	var stdout bytes.Buffer
	if err := run(t.Context(), []string{"-template", template, "-o", out, "-size", "64KB", "-concurrent", "2"}, &stdout, &stdout); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() < 64<<10 {
		t.Errorf("%d bytes, want at least 64 KiB", fi.Size())
	}
	msgs, err := sipwire.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) == 0 || len(msgs)%len(tplMsgs) != 0 {
		t.Errorf("%d messages: not whole copies of %d", len(msgs), len(tplMsgs))
	}
}

// TestBigcapRefusesBadFlags: each bad flag set is a usage error.
func TestBigcapRefusesBadFlags(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "x.pcapng")
	tests := []struct {
		name string
		args []string
	}{
		{"no template", []string{"-o", out, "-dialogs", "1"}},
		{"no output", []string{"-template", template, "-dialogs", "1"}},
		{"no count", []string{"-template", template, "-o", out}},
		{"bad size", []string{"-template", template, "-o", out, "-size", "lots"}},
		{"zero concurrency", []string{"-template", template, "-o", out, "-dialogs", "1", "-concurrent", "0"}},
		{"bad sut", []string{"-template", template, "-o", out, "-dialogs", "1", "-sut", "nowhere"}},
		{"extra argument", []string{"-template", template, "-o", out, "-dialogs", "1", "more"}},
		{"unknown flag", []string{"-colour", "red"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := run(t.Context(), tc.args, &buf, &buf); !errors.Is(err, errUsage) {
				t.Fatalf("error %v, want a usage error", err)
			}
		})
	}
	if err := run(t.Context(), []string{"-template", filepath.Join(dir, "none.pcapng"), "-o", out, "-dialogs", "1"}, &bytes.Buffer{}, &bytes.Buffer{}); err == nil {
		t.Error("a missing template is taken")
	}
}

// TestParseSize: units and refusals.
func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
	}{
		{"1GB", 1 << 30}, {"200MB", 200 << 20}, {"64kb", 64 << 10}, {"512B", 512}, {"4096", 4096}, {"2 GiB", 2 << 30}, {"3M", 3 << 20},
		{"", 0}, {"GB", 0}, {"-1GB", 0}, {"0", 0}, {"1.5GB", 0}, {"99999999999999GB", 0},
	}
	for _, tc := range tests {
		got, err := parseSize(tc.in)
		if tc.want == 0 {
			if err == nil {
				t.Errorf("parseSize(%q) = %d, want an error", tc.in, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
}

// FuzzParseSize: -size is a user's string; no panic, and what is taken is
// positive.
func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"1GB", "64KB", "12", "x", "9223372036854775807GB"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if n, err := parseSize(s); err == nil && n <= 0 {
			t.Fatalf("parseSize(%q) = %d", s, n)
		}
	})
}
