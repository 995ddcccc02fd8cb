package report

import "errors"

// ErrMerge is wrapped by Merge's errors: reports that cannot be combined
// (another scenario or seed, a shard twice, no histograms).
var ErrMerge = errors.New("reports cannot be merged")
