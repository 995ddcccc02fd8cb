package conformance

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/emiago/sipgo/sip"
)

func TestLoad(t *testing.T) {
	tests := []struct {
		dir       string
		n         int
		expected  bool // EXPECTED.tsv rows for every message
		sample    string
		responses int
	}{
		{dir: corpusDirs[0], n: 50, expected: true, sample: "wsinv", responses: 5},
		{dir: corpusDirs[1], n: 12, expected: false, sample: "ipv6-bad", responses: 0},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.dir), func(t *testing.T) {
			msgs, err := Load(tt.dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(msgs) != tt.n {
				t.Fatalf("got %d messages, want %d", len(msgs), tt.n)
			}
			found, responses := false, 0
			for _, m := range msgs {
				if len(m.Data) == 0 || m.Corpus != filepath.Base(tt.dir) {
					t.Errorf("%s: empty or wrong corpus %q", m.File, m.Corpus)
				}
				if !m.ParseKnown {
					t.Errorf("%s: not in SIPGO-PARSE.txt", m.File)
				}
				if tt.expected && (m.Section == "" || m.Handling == "") {
					t.Errorf("%s: no EXPECTED.tsv row", m.File)
				}
				if m.IsResponse() {
					responses++
				}
				found = found || m.Name == tt.sample
			}
			if !found {
				t.Errorf("%s missing", tt.sample)
			}
			if responses != tt.responses {
				t.Errorf("%d responses, want %d", responses, tt.responses)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	empty := t.TempDir()
	if _, err := Load(empty); !errors.Is(err, ErrNoMessages) {
		t.Errorf("empty dir: %v, want ErrNoMessages", err)
	}
	bad := t.TempDir()
	if err := os.WriteFile(filepath.Join(bad, "a.dat"), []byte("OPTIONS sip:a SIP/2.0\r\n\r\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bad, "SIPGO-PARSE.txt"), []byte("b.dat parsed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(bad); !errors.Is(err, ErrBadIndex) {
		t.Errorf("index naming a missing file: %v, want ErrBadIndex", err)
	}
}

// TestSipgoParseMatchesIndex keeps SIPGO-PARSE.txt honest: it must say what
// the sipgo in go.mod really does with every message.
func TestSipgoParseMatchesIndex(t *testing.T) {
	for _, m := range loadAll(t) {
		_, err := sip.NewParser().ParseSIP(m.Data)
		if got := err == nil; got != m.Parsed {
			t.Errorf("%s: SIPGO-PARSE.txt says parsed=%v, sipgo says parsed=%v (%v)", m.ID(), m.Parsed, got, err)
		}
	}
}

// TestTableCoversCorpus: every message has an expectation with a reason;
// what sipgo drops and every response must be expected to get no answer.
func TestTableCoversCorpus(t *testing.T) {
	table := Expectations()
	seen := map[string]bool{}
	for _, m := range loadAll(t) {
		seen[m.Name] = true
		e, ok := table[m.Name]
		if !ok {
			t.Errorf("%s: no expectation", m.ID())
			continue
		}
		for _, tr := range []string{"udp", "tcp"} {
			x := e.For(tr)
			if x.Reason == "" || x.String() == "unspecified" {
				t.Errorf("%s/%s: expectation %q without reason or verdict", m.ID(), tr, x)
			}
		}
		if (!readByPBX(m) || m.IsResponse()) && !e.Drop {
			t.Errorf("%s: sipgo drops it or it is a response, but the table expects %s", m.ID(), e)
		}
	}
	for name := range table {
		if !seen[name] {
			t.Errorf("table entry %q matches no message", name)
		}
	}
}

func TestParseExpected(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		rows    int
		wantErr bool
	}{
		{"header only", "file\tsection\ttitle\trfc_class\tparser_must_accept\texpected_handling\n", 0, false},
		{"one row", "file\tsection\ttitle\trfc_class\tparser_must_accept\texpected_handling\r\na.dat\t1\tT\tvalid\tyes\tAccept.\r\n", 1, false},
		{"bad header", "name\tx\n", 0, true},
		{"short row", "file\tsection\ttitle\trfc_class\tparser_must_accept\texpected_handling\na.dat\t1\n", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, err := ParseExpected([]byte(tt.in))
			if (err != nil) != tt.wantErr || len(rows) != tt.rows {
				t.Fatalf("got %d rows, err %v; want %d rows, error %v", len(rows), err, tt.rows, tt.wantErr)
			}
		})
	}
}

func TestParseSipgoParse(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []ParseRow
		wantErr bool
	}{
		{"comments and rows", "# c\n\na.dat parsed\nb.dat rejected by the parser: EOF\n",
			[]ParseRow{{File: "a.dat", Parsed: true}, {File: "b.dat", Note: "EOF"}}, false},
		{"unknown verdict", "a.dat maybe\n", nil, true},
		{"no verdict", "a.dat\n", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, err := ParseSipgoParse([]byte(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err %v, want error %v", err, tt.wantErr)
			}
			if len(rows) != len(tt.want) {
				t.Fatalf("rows %+v, want %+v", rows, tt.want)
			}
			for i := range rows {
				if rows[i] != tt.want[i] {
					t.Errorf("row %d: %+v, want %+v", i, rows[i], tt.want[i])
				}
			}
		})
	}
}

func FuzzParseExpected(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join(corpusDirs[0], "EXPECTED.tsv")); err == nil {
		f.Add(b)
	}
	f.Add([]byte("file\tsection\ttitle\trfc_class\tparser_must_accept\texpected_handling\na\tb\tc\td\te\tf\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		rows, err := ParseExpected(b)
		if err != nil && rows != nil {
			t.Fatalf("rows returned with error %v", err)
		}
		for _, r := range rows {
			if r.File == "" {
				t.Fatal("row without file")
			}
		}
	})
}

func FuzzParseSipgoParse(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join(corpusDirs[0], "SIPGO-PARSE.txt")); err == nil {
		f.Add(b)
	}
	f.Add([]byte("a.dat rejected by the parser: x\n# c\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		rows, err := ParseSipgoParse(b)
		if err != nil && rows != nil {
			t.Fatalf("rows returned with error %v", err)
		}
		for _, r := range rows {
			if r.File == "" || r.Parsed && r.Note != "" {
				t.Fatalf("bad row %+v", r)
			}
		}
	})
}

// readByPBX: sipgo parses the message as it is or, over UDP, once the
// PBX's reader added the missing end of its header section (what
// pbx/internal/sipx's tolerantConn does: a CRLF, or two when the last
// line has none).
func readByPBX(m Message) bool {
	if m.Parsed {
		return true
	}
	d := m.Data
	if bytes.Contains(d, []byte("\r\n\r\n")) {
		return false
	}
	add := "\r\n\r\n"
	if bytes.HasSuffix(d, []byte("\r\n")) {
		add = "\r\n"
	}
	_, err := sip.NewParser().ParseSIP(append(bytes.Clone(d), add...))
	return err == nil
}
