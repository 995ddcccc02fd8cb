package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"pbxlab/sim/report"
	"pbxlab/sim/scenario"
)

// cmdSimMerge is `pbxlab sim merge a.json b.json ... [-o merged.json]
// [--html merged.html]`: the reports of the shards of one run (pbxlab sim
// --shard i/n --report FILE)
// combined into the run's report, printed as text (or JSON) and judged as
// `pbxlab sim` judges one run; --scenario re-checks its thresholds on the
// merged figures.
func cmdSimMerge(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sim merge", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("o", "", "write the merged report as JSON to this file")
	html := fs.String("html", "", "write the merged report as a self-contained HTML page to this file")
	asJSON := fs.Bool("json", false, "print the merged report as JSON")
	scFile := fs.String("scenario", "", "the run's scenario: check its thresholds on the merged report")
	files, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("pbxlab sim merge SHARD.json... [-o merged.json] [--html merged.html] [--scenario FILE]: %w", errUsage)
	}
	reps := make([]*report.Report, 0, len(files))
	for _, f := range files {
		r, err := readReport(f)
		if err != nil {
			return err
		}
		reps = append(reps, r)
	}
	merged, err := report.Merge(reps...)
	if err != nil {
		return err
	}
	if *scFile != "" {
		sc, err := scenario.Load(*scFile)
		if err != nil {
			return err
		}
		merged.CheckThresholds(sc.Checks)
	}
	if *out != "" {
		if err := writeReport(*out, merged); err != nil {
			return err
		}
	}
	if *html != "" {
		if err := writeHTMLReport(*html, merged); err != nil {
			return err
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(merged)
	} else {
		_ = merged.Text(stdout)
		fmt.Fprintf(stdout, "  merged         %d reports, shards %v\n", len(reps), merged.Shards)
	}
	return simVerdict(merged)
}

// parseInterspersed parses fs's flags wherever they are among the
// positional arguments, which it returns.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// maxReportSize bounds what readReport reads: a shard's report is a few KB.
const maxReportSize = 64 << 20

func readReport(path string) (*report.Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read report %s: %w", path, err)
	}
	defer f.Close()
	r, err := report.Decode(io.LimitReader(f, maxReportSize))
	if err != nil {
		return nil, fmt.Errorf("read report %s: %w", path, err)
	}
	return r, nil
}

// writeReport writes r as indented JSON to path.
func writeReport(path string, r *report.Report) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("write report %s: %w", path, err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write report %s: %w", path, err)
	}
	return nil
}
