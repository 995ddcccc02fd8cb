// Command testsummary reads `go test -json` on its standard input, prints
// what a plain `go test` prints (each package's ok/FAIL line, and the
// output of failed tests only), then a list of every skipped test with
// its reason, and a closing line "tests: N passed, N failed, N skipped".
//
// It exits non-zero if a test or a build failed, if the stream holds no
// test event, or, under CI (CI=true), if a test skipped because a peer is
// missing ("peer missing: NAME", internal/testpeer) and that peer is not
// on testpeer.AllowedMissingInCI. Use it with pipefail so that go test's
// own status counts too:
//
//	set -o pipefail; go test -json -race ./... | go run ./internal/tools/testsummary
package main

import (
	"os"

	"pbxlab/internal/testpeer"
)

func main() {
	os.Exit(run(os.Stdin, os.Stdout, testpeer.InCI()))
}
