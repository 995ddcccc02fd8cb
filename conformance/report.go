package conformance

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Result is the outcome of one message on one transport.
type Result struct {
	Corpus, Name, File string
	// Transport is "udp" or "tcp".
	Transport string
	// Rewrite says what was changed in the message before sending it.
	Rewrite string
	// RFC is the answer the RFC gives (RFCAnswers), for reference.
	RFC Expectation
	// Expected is the target's expectation that applied (the test's
	// verdict is against it, not against RFC).
	Expected Expectation
	// Outcome is what came back.
	Outcome Outcome
	// Problem is "" when the outcome matches the expectation, otherwise
	// what is wrong.
	Problem string
}

// Pass reports whether the outcome matched the expectation.
func (r Result) Pass() bool { return r.Problem == "" }

// Liveness is the answer to the OPTIONS sent after all the messages.
type Liveness struct {
	Transport string
	Outcome   Outcome
	Problem   string // "" when the target answered 200
}

// Report is the result of Run.
type Report struct {
	Target   Target
	Results  []Result
	Liveness []Liveness
}

// Failures returns the results whose outcome did not match.
func (r *Report) Failures() []Result {
	var out []Result
	for _, res := range r.Results {
		if !res.Pass() {
			out = append(out, res)
		}
	}
	return out
}

// Alive returns nil when the target answered the final OPTIONS with 200 on
// every transport.
func (r *Report) Alive() error {
	var errs []error
	for _, l := range r.Liveness {
		if l.Problem != "" {
			errs = append(errs, fmt.Errorf("options over %s: %s", l.Transport, l.Problem))
		}
	}
	return errors.Join(errs...)
}

// Deviations returns the results whose expectation is not an answer the
// RFC gives (the target's table says why in Expectation.Deviation).
func (r *Report) Deviations() []Result {
	var out []Result
	for _, res := range r.Results {
		if res.Expected.Deviation != "" {
			out = append(out, res)
		}
	}
	return out
}

// WriteText writes the report as an aligned table, one row per message and
// transport: the RFC's answer, the target's expected answer (marked
// "DEVIATES" when the RFC does not give it), what came back and the
// verdict against the expected answer; then the liveness checks and a
// summary line.
func (r *Report) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "MESSAGE\tTRANSPORT\tRFC\tEXPECTED\tVS RFC\tGOT\tVERDICT\tREWRITE")
	for _, res := range r.Results {
		verdict := "ok"
		if !res.Pass() {
			verdict = "FAIL: " + res.Problem
		}
		vs := "="
		if res.Expected.Deviation != "" {
			vs = "DEVIATES"
		}
		fmt.Fprintf(tw, "%s/%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", res.Corpus, res.Name, res.Transport,
			res.RFC, res.Expected, vs, res.Outcome.Summary(), verdict, res.Rewrite)
	}
	for _, l := range r.Liveness {
		verdict := "ok"
		if l.Problem != "" {
			verdict = "FAIL: " + l.Problem
		}
		fmt.Fprintf(tw, "liveness/OPTIONS\t%s\t200\t200\t=\t%s\t%s\t-\n", l.Transport, l.Outcome.Summary(), verdict)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	_, err := fmt.Fprintf(w, "%d results, %d failed, %d expected answers deviate from the RFC; %s\n",
		len(r.Results), len(r.Failures()), len(r.Deviations()), aliveText(r.Alive()))
	if err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

func aliveText(err error) string {
	if err == nil {
		return "target still answers OPTIONS"
	}
	return "target NOT alive: " + strings.ReplaceAll(err.Error(), "\n", "; ")
}
