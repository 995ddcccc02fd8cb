package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"pbxlab/pbx"
)

func cmdCDR(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("cdr", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "read the store path from this configuration (default: the demo store)")
	storePath := fs.String("store", "", "SQLite file (overrides the configuration)")
	since := fs.String("since", "", "only calls set up since: a duration ago (1h, 30m) or an RFC 3339 time")
	format := fs.String("format", "table", "table, csv or json")
	limit := fs.Int("limit", 0, "at most this many records (0 = all)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	path := *storePath
	if path == "" {
		cfg, err := loadConfig(*cfgPath)
		if err != nil {
			return err
		}
		path = cfg.Store.Path
	}
	if path == "" {
		return fmt.Errorf("no store: the configuration keeps CDRs in memory; pass --store FILE: %w", errUsage)
	}
	f := pbx.CDRFilter{Limit: *limit}
	if *since != "" {
		t, err := parseSince(*since, time.Now())
		if err != nil {
			return fmt.Errorf("--since %q: %v: %w", *since, err, errUsage)
		}
		f.Since = t
	}
	return pbx.WriteCDRs(ctx, path, f, strings.ToLower(*format), stdout)
}

// parseSince accepts a duration before now or an RFC 3339 time.
func parseSince(v string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(v); err == nil {
		return now.Add(-d), nil
	}
	return time.Parse(time.RFC3339, v)
}
