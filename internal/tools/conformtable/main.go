// Command conformtable writes the table of what passed against each target
// (conform.Table of the results files conform/results/*.json, which
// `pbxlab conform --results` writes) into README.md, between the
// conform-table markers. With -check it writes nothing and exits 1 when the
// README's table is not the one the results give.
//
//	go run ./internal/tools/conformtable [-check] README.md conform/results/pbxlab.json conform/results/kamailio.json
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"

	"pbxlab/conform"
)

func main() {
	check := flag.Bool("check", false, "only check that the README's table is current")
	flag.Parse()
	if flag.NArg() < 2 {
		fmt.Fprintln(os.Stderr, "usage: conformtable [-check] README.md RESULTS.json...")
		os.Exit(2)
	}
	if err := run(flag.Arg(0), flag.Args()[1:], *check); err != nil {
		fmt.Fprintln(os.Stderr, "conformtable:", err)
		os.Exit(1)
	}
}

func run(readme string, files []string, check bool) error {
	var results []conform.Results
	for _, f := range files {
		r, err := conform.ReadResults(f)
		if err != nil {
			return err
		}
		results = append(results, r)
	}
	old, err := os.ReadFile(readme)
	if err != nil {
		return err
	}
	updated, err := conform.UpdateREADME(old, conform.Table(results...))
	if err != nil {
		return fmt.Errorf("%s: %w", readme, err)
	}
	if bytes.Equal(old, updated) {
		return nil
	}
	if check {
		return fmt.Errorf("%s: the conform table is not the one %v give: run scripts/conform-table.sh", readme, files)
	}
	return os.WriteFile(readme, updated, 0o644)
}
