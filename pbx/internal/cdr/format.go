package cdr

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Formats accepted by Format.
const (
	FormatTable = "table"
	FormatCSV   = "csv"
	FormatJSON  = "json"
)

// Format writes recs as a table, CSV or JSON (the `pbxlab cdr` output).
func Format(w io.Writer, recs []Record, format string) error {
	switch format {
	case FormatTable, "":
		return formatTable(w, recs)
	case FormatCSV:
		return formatCSV(w, recs)
	case FormatJSON:
		if recs == nil {
			recs = []Record{}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(recs); err != nil {
			return fmt.Errorf("format cdr json: %w", err)
		}
		return nil
	}
	return fmt.Errorf("format cdr %q: %w", format, ErrUnknownFormat)
}

var header = []string{"id", "setup", "caller", "dialled", "callee", "answer", "end", "duration", "disposition", "cause", "reason", "call_id"}

func row(r Record) []string {
	return []string{strconv.FormatInt(r.ID, 10), stamp(r.Setup), r.Caller, r.Dialled, r.Callee, stamp(r.Answer), stamp(r.End),
		talk(r), string(r.Disposition), strconv.Itoa(r.Cause), r.Reason, r.CallID}
}

func formatTable(w io.Writer, recs []Record) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for i, h := range header {
		if i > 0 {
			fmt.Fprint(tw, "\t")
		}
		fmt.Fprint(tw, h)
	}
	fmt.Fprintln(tw)
	for _, r := range recs {
		for i, c := range row(r) {
			if i > 0 {
				fmt.Fprint(tw, "\t")
			}
			if c == "" {
				c = "-"
			}
			c = strings.Map(func(r rune) rune {
				if r == '\t' || r == '\n' || r == '\r' {
					return ' '
				}
				return r
			}, c)
			fmt.Fprint(tw, c)
		}
		fmt.Fprintln(tw)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("format cdr table: %w", err)
	}
	return nil
}

func formatCSV(w io.Writer, recs []Record) error {
	cw := csv.NewWriter(w)
	_ = cw.Write(header)
	for _, r := range recs {
		_ = cw.Write(row(r))
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("format cdr csv: %w", err)
	}
	return nil
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

// talk is the answered duration (answer to end).
func talk(r Record) string {
	if r.Answer.IsZero() || r.End.IsZero() {
		return ""
	}
	return r.End.Sub(r.Answer).Round(time.Millisecond).String()
}
