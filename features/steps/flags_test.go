package steps

import "flag"

// `go test ./features/... -godog.target=container` hands the flag to every
// test binary under features/; this package's tests run no target of
// their own (package features does), so here it is accepted and ignored.
var _ = flag.String("godog.target", "", "ignored in features/steps (the target of package features' TestFeatures)")
