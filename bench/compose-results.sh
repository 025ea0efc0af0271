#!/usr/bin/env bash
# Assembles bench/RESULTS.md from the per-benchmark sections in bench/results/ (each carries its own date and machine).
set -euo pipefail
cd "$(dirname "$0")"
{
  echo "# Benchmark results"
  echo
  echo "Every section below was written by the harness in bench/Disco.Geo.Bench (\`disco-bench <name>\`); each states"
  echo "its own date, machine and command. Regenerate one with its command, then run bench/compose-results.sh."
  echo
  for f in results/*.md; do
    [[ -f "$f" ]] || continue
    cat "$f"
    echo
  done
} > RESULTS.md.tmp
mv RESULTS.md.tmp RESULTS.md
echo "bench/RESULTS.md updated"
