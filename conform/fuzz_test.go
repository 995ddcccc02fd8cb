package conform

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/emiago/sipgo/sip"
)

// FuzzParseProfile: a profile is a user's file. Whatever the bytes, the
// loader does not panic, every error is a ProfileError, and an accepted
// profile keeps its promises: a known kind whose capabilities it offers,
// at least two subscribers, each with a password, no number twice.
func FuzzParseProfile(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("targets", "*.yaml"))
	for _, file := range files {
		if b, err := os.ReadFile(file); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(goodProfile))
	f.Add([]byte(proxyProfile))
	f.Add([]byte("name: a\nkind: pbx\nsubscribers: [{number: '1', password: x}, {number: '1', password: y}]\n"))
	f.Add([]byte("a: &a [*a]\n"))
	f.Add([]byte("name: [\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParseProfile("fuzz.yaml", data)
		if err != nil {
			if !errors.Is(err, ErrProfile) {
				t.Fatalf("error %v is not a ProfileError", err)
			}
			return
		}
		kind, ok := KindByName(p.Kind)
		if !ok {
			t.Fatalf("accepted kind %q", p.Kind)
		}
		for _, c := range kind.Requires {
			if !p.Offers(c) {
				t.Fatalf("kind %s accepted without %s", p.Kind, c)
			}
		}
		nums := p.Numbers()
		if len(nums) < MinSubscribers || len(nums) > MaxSubscribers {
			t.Fatalf("%d subscribers accepted", len(nums))
		}
		sorted := slices.Clone(nums)
		slices.Sort(sorted)
		if len(slices.Compact(sorted)) != len(nums) {
			t.Fatal("a number is defined twice")
		}
		for _, n := range nums[:min(len(nums), 50)] {
			if p.Password(n) == "" {
				t.Fatalf("number %s has no password", n)
			}
		}
	})
}

// FuzzProbeAnswer: the probe's handling of what a target sends back, as a
// datagram and as stream bytes (in two reads): no panic, and an answer is
// either a SIP response or noted as garbage, never both.
func FuzzProbeAnswer(f *testing.F) {
	f.Add([]byte("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"), 10)
	f.Add([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"), 3)
	f.Add([]byte("SIP/2.0 200 OK\r\nContent-Length: 99999\r\n\r\n"), 0)
	f.Add([]byte{0, 1, 2, 0xff}, 1)
	f.Fuzz(func(t *testing.T, b []byte, cut int) {
		var res ProbeResult
		if r := judgeDatagram(&res, b); (r != nil) == (res.Garbage != "") {
			t.Fatalf("datagram: response %v, garbage %q", r != nil, res.Garbage)
		}
		res = ProbeResult{}
		stream := sip.NewParser().NewSIPStream()
		defer stream.Close()
		cut = max(0, min(cut, len(b)))
		r, err := judgeStream(&res, stream, b[:cut])
		if r == nil && err == nil {
			r, err = judgeStream(&res, stream, b[cut:])
		}
		if r != nil && (err != nil || res.Garbage != "") {
			t.Fatalf("stream: a response and an error %v / garbage %q", err, res.Garbage)
		}
	})
}

// FuzzParseResults: a results file is a user's file for conformtable:
// decoding never panics, and what decodes renders as a table.
func FuzzParseResults(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("results", "*.json"))
	for _, file := range files {
		if b, err := os.ReadFile(file); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"target":"a","scenarios":[{"id":"x","status":"n/a","reason":"the profile does not offer @cap-x"}]}`))
	f.Add([]byte(`{"scenarios":[{"id":"","status":"passed"}]} {}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseResults(b)
		if err != nil {
			return
		}
		table := Table(r, r)
		if !strings.HasPrefix(table, "| feature / scenario |") || strings.Count(table, "\n") != len(uniqueIDs(r))+3 {
			t.Fatalf("table of %d scenarios:\n%s", len(r.Scenarios), table)
		}
	})
}

func uniqueIDs(r Results) map[string]bool {
	out := map[string]bool{}
	for _, s := range r.Scenarios {
		out[s.ID] = true
	}
	return out
}
