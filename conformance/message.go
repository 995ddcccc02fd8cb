package conformance

import (
	"bufio"
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// corpusFS holds the torture messages (see Corpus).
//
//go:embed corpus/rfc4475 corpus/rfc5118
var corpusFS embed.FS

// Message is one torture message of a corpus.
type Message struct {
	// Corpus is the corpus directory's base name ("rfc4475", "rfc5118").
	Corpus string
	// Name is the file name without its extension ("wsinv", "ipv6-bad").
	Name string
	// File is the file name with its extension ("wsinv.dat").
	File string
	// Data are the exact bytes to send.
	Data []byte

	// Section, Title, Class, MustAccept and Handling come from the corpus's
	// EXPECTED.tsv (empty when it has none): the RFC section, its title, the
	// RFC's class (valid, invalid, ...), whether a parser must accept the
	// message, and the handling the RFC asks for (paraphrased).
	Section, Title, Class, MustAccept, Handling string

	// ParseKnown reports whether SIPGO-PARSE.txt describes the message;
	// Parsed then tells whether sipgo's parser accepts it, and ParseNote is
	// the parser's error when it does not.
	ParseKnown bool
	Parsed     bool
	ParseNote  string
}

// ID is "corpus/name".
func (m Message) ID() string { return m.Corpus + "/" + m.Name }

// IsResponse reports whether the message is a response (its start line
// begins with "SIP/").
func (m Message) IsResponse() bool { return bytes.HasPrefix(m.Data, []byte("SIP/")) }

// Load reads one corpus directory: every *.dat file in it (RFC 4475) or,
// when it has none, every wire/*.sip file (RFC 5118), plus EXPECTED.tsv and
// SIPGO-PARSE.txt when present. Messages are sorted by name.
func Load(dir string) ([]Message, error) {
	msgs, err := loadFS(os.DirFS(dir), ".", filepath.Base(filepath.Clean(dir)))
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", dir, err)
	}
	return msgs, nil
}

// Corpus returns the RFC 4475 and RFC 5118 messages embedded in the binary
// (corpus/, a copy of pbx/testdata/conformance), RFC 4475's first.
func Corpus() ([]Message, error) {
	var all []Message
	for _, c := range []string{"rfc4475", "rfc5118"} {
		msgs, err := loadFS(corpusFS, path.Join("corpus", c), c)
		if err != nil {
			return nil, fmt.Errorf("load embedded corpus %s: %w", c, err)
		}
		all = append(all, msgs...)
	}
	return all, nil
}

// loadFS is Load on the directory dir of fsys; corpus names the messages'
// corpus.
func loadFS(fsys fs.FS, dir, corpus string) ([]Message, error) {
	files, err := fs.Glob(fsys, path.Join(dir, "*.dat"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		if files, err = fs.Glob(fsys, path.Join(dir, "wire", "*.sip")); err != nil {
			return nil, err
		}
	}
	if len(files) == 0 {
		return nil, ErrNoMessages
	}
	sort.Strings(files)
	msgs := make([]Message, 0, len(files))
	byFile := make(map[string]int, len(files))
	for _, f := range files {
		data, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, err
		}
		base := path.Base(f)
		byFile[base] = len(msgs)
		msgs = append(msgs, Message{
			Corpus: corpus,
			Name:   strings.TrimSuffix(base, path.Ext(base)),
			File:   base,
			Data:   data,
		})
	}
	if b, err := fs.ReadFile(fsys, path.Join(dir, "EXPECTED.tsv")); err == nil {
		rows, err := ParseExpected(b)
		if err != nil {
			return nil, fmt.Errorf("EXPECTED.tsv: %w", err)
		}
		for _, r := range rows {
			i, ok := byFile[r.File]
			if !ok {
				return nil, fmt.Errorf("EXPECTED.tsv names %s: %w", r.File, ErrBadIndex)
			}
			m := &msgs[i]
			m.Section, m.Title, m.Class, m.MustAccept, m.Handling = r.Section, r.Title, r.Class, r.MustAccept, r.Handling
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if b, err := fs.ReadFile(fsys, path.Join(dir, "SIPGO-PARSE.txt")); err == nil {
		rows, err := ParseSipgoParse(b)
		if err != nil {
			return nil, fmt.Errorf("SIPGO-PARSE.txt: %w", err)
		}
		for _, r := range rows {
			i, ok := byFile[r.File]
			if !ok {
				return nil, fmt.Errorf("SIPGO-PARSE.txt names %s: %w", r.File, ErrBadIndex)
			}
			msgs[i].ParseKnown, msgs[i].Parsed, msgs[i].ParseNote = true, r.Parsed, r.Note
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	return msgs, nil
}

// ExpectedRow is one row of EXPECTED.tsv.
type ExpectedRow struct {
	File, Section, Title, Class, MustAccept, Handling string
}

// ParseExpected parses EXPECTED.tsv: a header row, then one tab-separated
// row per file: file, section, title, rfc_class, parser_must_accept,
// expected_handling.
func ParseExpected(b []byte) ([]ExpectedRow, error) {
	var rows []ExpectedRow
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimRight(sc.Text(), "\r")
		if text == "" {
			continue
		}
		f := strings.Split(text, "\t")
		if line == 1 {
			if len(f) < 6 || f[0] != "file" {
				return nil, fmt.Errorf("line 1: header %q: %w", text, ErrBadIndex)
			}
			continue
		}
		if len(f) != 6 || f[0] == "" {
			return nil, fmt.Errorf("line %d: %d fields, want 6: %w", line, len(f), ErrBadIndex)
		}
		rows = append(rows, ExpectedRow{File: f[0], Section: f[1], Title: f[2], Class: f[3], MustAccept: f[4], Handling: f[5]})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("line %d: %w", line+1, err)
	}
	return rows, nil
}

// ParseRow is one line of SIPGO-PARSE.txt.
type ParseRow struct {
	File   string
	Parsed bool
	Note   string // the parser's error when not parsed
}

// ParseSipgoParse parses SIPGO-PARSE.txt: "#" comment lines, then one line
// per file, "<file> parsed" or "<file> rejected by the parser: <error>".
func ParseSipgoParse(b []byte) ([]ParseRow, error) {
	var rows []ParseRow
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		file, rest, ok := strings.Cut(text, " ")
		switch {
		case !ok || file == "":
			return nil, fmt.Errorf("line %d: %q: %w", line, text, ErrBadIndex)
		case rest == "parsed":
			rows = append(rows, ParseRow{File: file, Parsed: true})
		case strings.HasPrefix(rest, "rejected by the parser"):
			note := strings.TrimPrefix(rest, "rejected by the parser")
			rows = append(rows, ParseRow{File: file, Note: strings.TrimSpace(strings.TrimPrefix(note, ":"))})
		default:
			return nil, fmt.Errorf("line %d: %q: %w", line, text, ErrBadIndex)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("line %d: %w", line+1, err)
	}
	return rows, nil
}
