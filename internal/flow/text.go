package flow

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// header is the first line of a flow file.
const textHeader = "# pbxlab call flow v1"

// WriteText writes the flow as text, one message per line:
//
//	D1/t1  PBX -> A    180 INVITE
//
// the dialog, the parties, the method or the status and method answered,
// then the key headers. Lines starting with # are comments; "party" lines
// name the parties and the users they spoke as.
func (f Flow) WriteText(w io.Writer) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, textHeader)
	fmt.Fprintln(bw, "# compared dialog by dialog, in order within each dialog; regenerate with -update")
	width, dw := 1, 2
	for _, p := range f.Parties {
		width = max(width, len(p.Role))
		if p.User != "" {
			fmt.Fprintf(bw, "party %s %s\n", p.Role, p.User)
		} else {
			fmt.Fprintf(bw, "party %s\n", p.Role)
		}
	}
	for _, s := range f.Steps {
		dw = max(dw, len(s.Dialog))
	}
	for _, s := range f.Steps {
		line := fmt.Sprintf("%-*s  %-*s -> %-*s  %s", dw, s.Dialog, width, s.From, width, s.To, s.Label())
		if len(s.Attrs) > 0 {
			line += "  " + strings.Join(s.Attrs, " ")
		}
		fmt.Fprintln(bw, line)
	}
	return bw.Flush()
}

// String is the flow as text (WriteText).
func (f Flow) String() string {
	var b strings.Builder
	_ = f.WriteText(&b)
	return b.String()
}

// ParseText reads a flow written by WriteText (a golden file). Errors name
// the line.
func ParseText(r io.Reader) (Flow, error) {
	var f Flow
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		if fields[0] == "party" {
			if len(fields) < 2 || len(fields) > 3 {
				return f, fmt.Errorf("parse flow line %d: %w: want party ROLE [USER]", n, ErrSyntax)
			}
			p := Party{Role: fields[1]}
			if len(fields) == 3 {
				p.User = fields[2]
			}
			f.Parties = append(f.Parties, p)
			continue
		}
		s, err := parseStep(fields)
		if err != nil {
			return f, fmt.Errorf("parse flow line %d: %w", n, err)
		}
		f.Steps = append(f.Steps, s)
	}
	if err := sc.Err(); err != nil {
		return f, fmt.Errorf("parse flow: %w", err)
	}
	return f, nil
}

// parseStep reads "D1/t1 PBX -> A 180 INVITE attrs…".
func parseStep(fields []string) (Step, error) {
	if len(fields) < 5 || fields[2] != "->" {
		return Step{}, fmt.Errorf("%w: want DIALOG FROM -> TO METHOD|STATUS METHOD [ATTR…]", ErrSyntax)
	}
	s := Step{Dialog: fields[0], From: fields[1], To: fields[3]}
	s.Call, _, _ = strings.Cut(s.Dialog, "/")
	if !strings.HasPrefix(s.Call, "D") {
		return Step{}, fmt.Errorf("%w: dialog %q is not D<n>", ErrSyntax, s.Dialog)
	}
	rest := fields[4:]
	if code, err := strconv.Atoi(rest[0]); err == nil {
		if code < 100 || code > 699 || len(rest) < 2 {
			return Step{}, fmt.Errorf("%w: status %q without a method, or out of range", ErrSyntax, rest[0])
		}
		s.Status, s.Method, rest = code, rest[1], rest[2:]
	} else {
		s.Method, rest = rest[0], rest[1:]
	}
	if len(rest) > 0 {
		s.Attrs = rest
	}
	return s, nil
}

// userAttrs are the attributes whose value is a SIP user (a phone
// number), with the separator of a list value and the suffix that follows
// a user ("1009(unconditional)", "1003+replaces:D2").
var userAttrs = map[string]bool{"ruri": true, "aor": true, "from": true, "to": true, "contact": true, "refer-to": true, "pai": true, "diversion": true}

// MapUsers renames the SIP users of the flow — the parties' and those in
// attributes — with fn: a run against a live PBX uses its real numbers
// where the reference has the scenario's.
func (f Flow) MapUsers(fn func(string) string) Flow {
	out := Flow{Parties: make([]Party, len(f.Parties)), Steps: make([]Step, len(f.Steps))}
	for i, p := range f.Parties {
		if p.User != "" {
			p.User = fn(p.User)
		}
		out.Parties[i] = p
	}
	for i, s := range f.Steps {
		attrs := make([]string, len(s.Attrs))
		for j, a := range s.Attrs {
			name, val, ok := strings.Cut(a, "=")
			if ok && userAttrs[name] {
				var users []string
				for _, u := range strings.Split(val, ",") {
					end := strings.IndexAny(u, "(+")
					if end < 0 {
						end = len(u)
					}
					users = append(users, fn(u[:end])+u[end:])
				}
				a = name + "=" + strings.Join(users, ",")
			}
			attrs[j] = a
		}
		s.Attrs = attrs
		out.Steps[i] = s
	}
	return out
}
