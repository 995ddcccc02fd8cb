package flow

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strings"
)

// CompareOption sets a tolerance of Compare.
type CompareOption func(*compareOpts)

type compareOpts struct {
	ignoreMethods map[string]bool
	ignoreAttrs   map[string]bool
	statusClass   bool
}

// IgnoreMethods leaves out the requests of these methods and their
// responses. By default OPTIONS are left out: how many keep-alives and
// qualify probes a run sends depends on timing.
func IgnoreMethods(methods ...string) CompareOption {
	return func(o *compareOpts) {
		o.ignoreMethods = map[string]bool{}
		for _, m := range methods {
			o.ignoreMethods[strings.ToUpper(m)] = true
		}
	}
}

// IgnoreAttrs leaves out the key headers of these names ("history-info",
// "sdp", "auth") from the comparison.
func IgnoreAttrs(names ...string) CompareOption {
	return func(o *compareOpts) {
		for _, n := range names {
			o.ignoreAttrs[n] = true
		}
	}
}

// StatusClassOnly compares responses by class (1xx, 2xx …), not code.
func StatusClassOnly() CompareOption {
	return func(o *compareOpts) { o.statusClass = true }
}

// Op is what a diff line says of a step.
type Op byte

// Diff operations.
const (
	Same    Op = ' '
	Missing Op = '-' // in the reference, not in the run
	Extra   Op = '+' // in the run, not in the reference
)

// DiffLine is one step of a dialog's comparison.
type DiffLine struct {
	Op   Op
	Text string
}

// DialogResult is the comparison of one dialog (Call-ID placeholder).
type DialogResult struct {
	Call  string
	Lines []DiffLine
}

// Equal reports whether the dialog matched step for step.
func (d DialogResult) Equal() bool {
	return !slices.ContainsFunc(d.Lines, func(l DiffLine) bool { return l.Op != Same })
}

// FirstDifference is the index in Lines of the first step that differs,
// -1 if none.
func (d DialogResult) FirstDifference() int {
	return slices.IndexFunc(d.Lines, func(l DiffLine) bool { return l.Op != Same })
}

// Result is the comparison of two flows, dialog by dialog.
type Result struct {
	Dialogs []DialogResult
}

// Equal reports whether every dialog matched.
func (r Result) Equal() bool {
	return !slices.ContainsFunc(r.Dialogs, func(d DialogResult) bool { return !d.Equal() })
}

// WriteText writes a verdict per dialog and, for the dialogs that differ,
// the diff: "-" a step of the reference the run lacks, "+" a step the run
// has and the reference does not.
func (r Result) WriteText(w io.Writer) error {
	bw := bufio.NewWriter(w)
	for _, d := range r.Dialogs {
		if d.Equal() {
			fmt.Fprintf(bw, "%s: same (%d messages)\n", d.Call, len(d.Lines))
			continue
		}
		fmt.Fprintf(bw, "%s: differs at message %d\n", d.Call, d.FirstDifference()+1)
		for _, l := range d.Lines {
			fmt.Fprintf(bw, "  %c %s\n", l.Op, l.Text)
		}
	}
	return bw.Flush()
}

// String is WriteText's text.
func (r Result) String() string {
	var b strings.Builder
	_ = r.WriteText(&b)
	return b.String()
}

// Compare compares a run's flow (got) with a reference (want), dialog by
// dialog: the steps of each Call-ID placeholder, in order. How the dialogs
// interleave is not compared: independent legs race each other.
func Compare(want, got Flow, opts ...CompareOption) Result {
	o := compareOpts{ignoreMethods: map[string]bool{"OPTIONS": true}, ignoreAttrs: map[string]bool{}}
	for _, opt := range opts {
		opt(&o)
	}
	w, g := o.byCall(want), o.byCall(got)
	var calls []string
	for _, f := range []map[string][]string{w, g} {
		for c := range f {
			if !slices.Contains(calls, c) {
				calls = append(calls, c)
			}
		}
	}
	slices.SortFunc(calls, compareCalls)
	var r Result
	for _, c := range calls {
		r.Dialogs = append(r.Dialogs, DialogResult{Call: c, Lines: diff(w[c], g[c])})
	}
	return r
}

// compareCalls orders D2 before D10.
func compareCalls(a, b string) int {
	if len(a) != len(b) {
		return len(a) - len(b)
	}
	return strings.Compare(a, b)
}

// byCall projects a flow's steps to comparable text, grouped by Call-ID
// placeholder.
func (o compareOpts) byCall(f Flow) map[string][]string {
	out := map[string][]string{}
	for _, s := range f.Steps {
		if o.ignoreMethods[s.Method] || lateTrying(s) {
			continue
		}
		label := s.Label()
		if o.statusClass && s.Status != 0 {
			label = fmt.Sprintf("%dxx %s", s.Status/100, s.Method)
		}
		parts := []string{s.Dialog, s.From, "->", s.To, label}
		for _, a := range s.Attrs {
			name, _, _ := strings.Cut(a, "=")
			if !o.ignoreAttrs[name] {
				parts = append(parts, a)
			}
		}
		call := s.Call
		if call == "" {
			call, _, _ = strings.Cut(s.Dialog, "/")
		}
		out[call] = append(out[call], strings.Join(parts, " "))
	}
	return out
}

// lateTrying reports a 100 Trying inside a dialog (to a re-INVITE: its
// dialog placeholder has a tag pair). A UAS sends one only when it will not
// answer within 200 ms (RFC 3261 §17.2.1): a B2BUA waiting for the far end
// of a hold or resume sends it on a slow run and not on a fast one. The
// 100 to an initial INVITE is compared: a PBX sends it at once.
func lateTrying(s Step) bool {
	return s.Status == 100 && strings.Contains(s.Dialog, "/")
}

// diff is a longest-common-subsequence diff of two step lists.
func diff(want, got []string) []DiffLine {
	n, m := len(want), len(got)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if want[i] == got[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out []DiffLine
	i, j := 0, 0
	for i < n && j < m {
		switch {
		case want[i] == got[j]:
			out = append(out, DiffLine{Same, want[i]})
			i, j = i+1, j+1
		case lcs[i+1][j] >= lcs[i][j+1]:
			out = append(out, DiffLine{Missing, want[i]})
			i++
		default:
			out = append(out, DiffLine{Extra, got[j]})
			j++
		}
	}
	for ; i < n; i++ {
		out = append(out, DiffLine{Missing, want[i]})
	}
	for ; j < m; j++ {
		out = append(out, DiffLine{Extra, got[j]})
	}
	return out
}
