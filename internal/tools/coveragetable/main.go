// Command coveragetable writes the coverage table of the call services
// (features.Coverage.Table) into features/README.md, between the
// coverage-table markers, and the results summary it is made of
// (features/coverage.json).
//
//	go run ./internal/tools/coveragetable [-check] [-keep] [-summary features/coverage.json] [-readme features/README.md] [CUCUMBER.json...]
//
// With cucumber reports (godog's cucumber formatter, e.g.
// out/reports/features-inprocess.cucumber.json) it rewrites the summary
// from them (with -keep, the summary's other scenarios are kept); without,
// it rewrites the table from the committed summary (e.g. after a feature
// file changed). Scenarios that no longer exist leave the summary. With
// -check it writes nothing and exits 1 when the README's table or the
// summary is not current.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"strings"

	"pbxlab/features"
)

func main() {
	check := flag.Bool("check", false, "only check that the table and the summary are current")
	keep := flag.Bool("keep", false, "keep the summary's scenarios the cucumber reports do not name")
	summary := flag.String("summary", "features/coverage.json", "the results summary")
	readme := flag.String("readme", "features/README.md", "the README with the coverage-table markers")
	flag.Parse()
	if err := run(*readme, *summary, flag.Args(), *check, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "coveragetable:", err)
		os.Exit(1)
	}
}

func run(readme, summaryPath string, reports []string, check, keep bool) error {
	cov, err := features.SuiteCoverage()
	if err != nil {
		return err
	}
	oldSum, err := os.ReadFile(summaryPath)
	if err != nil && (!os.IsNotExist(err) || len(reports) == 0) {
		return err
	}
	var outcomes [][]features.ScenarioOutcome
	source := ""
	if len(oldSum) > 0 {
		s, err := features.ParseCoverageSummary(oldSum)
		if err != nil {
			return fmt.Errorf("%s: %w", summaryPath, err)
		}
		if len(reports) == 0 || keep {
			outcomes = append(outcomes, s.Scenarios)
			source = s.Source
		}
	}
	if len(reports) > 0 {
		if keep && source != "" {
			source += ", "
		} else {
			source = ""
		}
		source += strings.Join(reports, ", ")
	}
	for _, f := range reports {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		o, err := features.ParseCucumber(b)
		if err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		outcomes = append(outcomes, o)
	}
	sum := cov.Summarise(source, outcomes...)
	table, err := cov.Table(sum)
	if err != nil {
		return err
	}
	oldReadme, err := os.ReadFile(readme)
	if err != nil {
		return err
	}
	newReadme, err := features.UpdateCoverage(oldReadme, table)
	if err != nil {
		return fmt.Errorf("%s: %w", readme, err)
	}
	newSum := sum.Marshal()
	if check {
		if !bytes.Equal(oldReadme, newReadme) || !bytes.Equal(oldSum, newSum) {
			return fmt.Errorf("%s or %s is not current: run scripts/coverage-table.sh", readme, summaryPath)
		}
		return nil
	}
	if err := os.WriteFile(summaryPath, newSum, 0o644); err != nil {
		return err
	}
	return os.WriteFile(readme, newReadme, 0o644)
}
