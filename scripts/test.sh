#!/usr/bin/env bash
# Runs the whole test suite from a clean clone and ends with one line: "N passed, N failed[, N skipped]".
set -uo pipefail
cd "$(dirname "$0")/.."

if ! scripts/ensure-deps.sh --with-python --with-browser --with-postgres; then
  echo "0 passed, 1 failed"
  exit 1
fi

results=TestResults
rm -rf "$results"
if ! dotnet build Disco.sln -c Release -nologo -clp:ErrorsOnly; then
  echo "build failed"
  echo "0 passed, 1 failed"
  exit 1
fi

dotnet test Disco.sln -c Release --no-build -nologo --logger trx --results-directory "$results" -- RunConfiguration.TreatNoTestsAsError=false
status=$?

passed=0; failed=0; skipped=0
for trx in "$results"/*.trx; do
  [[ -f "$trx" ]] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
  value() { echo "$counters" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*'; }
  passed=$((passed + $(value passed)))
  failed=$((failed + $(value failed) + $(value error) + $(value timeout) + $(value aborted)))
  skipped=$((skipped + $(value notExecuted)))
done
if [[ $status -ne 0 && $failed -eq 0 ]]; then
  failed=1   # the test host crashed or a project produced no results
fi

line="$passed passed, $failed failed"
[[ $skipped -gt 0 ]] && line="$line, $skipped skipped"
echo "$line"
[[ $failed -eq 0 ]]
