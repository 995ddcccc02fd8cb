package main

import (
	"flag"
	"strings"

	"pbxlab/internal/flow"
)

// tolerances are the comparison's tolerances on the command line, shared by
// `pbxlab flow --compare` and `pbxlab replay` (flow.CompareOption).
type tolerances struct {
	ignoreMethods *string
	ignoreAttrs   *string
	statusClass   *bool
}

// addToleranceFlags declares --ignore-methods, --ignore-attrs and
// --status-class on fs.
func addToleranceFlags(fs *flag.FlagSet) tolerances {
	return tolerances{
		ignoreMethods: fs.String("ignore-methods", "OPTIONS", "comma-separated methods left out of the comparison, with their responses"),
		ignoreAttrs:   fs.String("ignore-attrs", "", "comma-separated key headers left out of the comparison (e.g. sdp,auth,history-info,diversion)"),
		statusClass:   fs.Bool("status-class", false, "compare responses by class (2xx, 4xx …), not by code"),
	}
}

// options are the flow.CompareOptions the flags ask for.
func (t tolerances) options() []flow.CompareOption {
	opts := []flow.CompareOption{flow.IgnoreMethods(splitList(*t.ignoreMethods)...)}
	if a := splitList(*t.ignoreAttrs); len(a) > 0 {
		opts = append(opts, flow.IgnoreAttrs(a...))
	}
	if *t.statusClass {
		opts = append(opts, flow.StatusClassOnly())
	}
	return opts
}

// splitList splits a comma-separated flag value, dropping empty items.
func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
