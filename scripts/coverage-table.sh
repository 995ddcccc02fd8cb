#!/usr/bin/env bash
# Regenerates the coverage table of the call services in features/README.md (service -> manual chapter
# -> feature files -> scenario count -> status) and the results summary it is made of
# (features/coverage.json):
#   scripts/coverage-table.sh                 runs the in-process suite (TestFeatures, every scenario but
#                                             @wip) with its reports in $OUT, then reads its cucumber JSON;
#   TAGS='@cap-service-dnd' scripts/coverage-table.sh
#                                             runs only those scenarios and keeps the summary's others;
#   scripts/coverage-table.sh FILE.json...    reads cucumber reports of runs already made (no run);
#   scripts/coverage-table.sh --no-run        rewrites the table from the committed summary (after a
#                                             feature file changed: the counts follow, new scenarios
#                                             count as not run).
# Which feature file covers which service is in each file's "# Service:" header lines (features/README.md,
# "Coverage of the call services"). `go test ./features/ -run TestCoverageTableIsCurrent` fails when the
# table or the summary is not the one the feature files and the summary give.
set -euo pipefail
cd "$(dirname "$0")/.."
tool=(go run ./internal/tools/coveragetable)
if [[ ${1:-} == --no-run ]]; then
	exec "${tool[@]}"
fi
if [[ $# -gt 0 ]]; then
	exec "${tool[@]}" "$@"
fi
OUT=${OUT:-out/reports/coverage}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd) # go test runs in features/: the reports need an absolute path
status=0
PBXLAB_REPORTS_DIR=$OUT PBXLAB_FEATURES_TAGS=${TAGS:-} go test ./features/ -run 'TestFeatures$' -count=1 -timeout 60m >"$OUT/go-test.log" 2>&1 || status=1
[[ $status == 0 ]] || echo "the suite failed (its failures go into the table): $OUT/go-test.log" >&2
keep=()
[[ -n ${TAGS:-} ]] && keep=(-keep)
"${tool[@]}" "${keep[@]}" "$OUT/features-inprocess.cucumber.json"
echo "features/README.md's coverage table and features/coverage.json updated; reports in $OUT"
