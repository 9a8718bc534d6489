#!/usr/bin/env bash
# serve: skopeo pulling one random-content pack (BENCH_SIZE_MIB, default 1024) from `scrydon serve` versus from the
# CNCF distribution registry holding the same pack, alternating in one run (BENCH_RUNS after a warm-up, default 3),
# with curl GETs of the blob as a server-only baseline; prints medians, the ratio and each server's peak RSS.
# Run via scripts/bench (which builds first). BENCH_DIR picks the scratch directory (default under /var/tmp; ~4x the size free).
set -euo pipefail
cd "$(dirname "$0")/.."
exec node dist/scripts/bench-serve.js
