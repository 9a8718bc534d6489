#!/usr/bin/env bash
# reconcile of a git source listing BENCH_ENTRIES (default 1000) git-tar packs: first run, unchanged run, --force
# run, against git clone + tar czf of every pack as a baseline; wall, CPU and peak RSS (GNU time). BENCH_RUNS
# (default 3) repetitions; BENCH_DIR picks the scratch directory; BENCH_BIN another bundle. Run via scripts/bench
# (which builds first).
set -euo pipefail
cd "$(dirname "$0")/.."
exec node dist/scripts/bench-reconcile.js
