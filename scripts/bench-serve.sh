#!/usr/bin/env bash
# serve: skopeo pulling one random-content pack (BENCH_SIZE_MIB, default 1024) from `scrydon serve` versus from the
# CNCF distribution registry holding the same pack, alternating in one run (BENCH_RUNS after a warm-up, default 3),
# with curl GETs of the blob as a server-only baseline; prints medians, the ratio and each server's peak RSS.
# Then 200 concurrent clients (BENCH_SERVE_CLIENTS) pulling manifests and blobs of 1,000 small packs
# (BENCH_SERVE_PACKS) from each server for BENCH_SERVE_SECONDS (default 10) per run: requests/s, errors, latency,
# server CPU and peak RSS, and the ratio. BENCH_SERVE_MODE=big or =clients runs one of the two.
# Run via scripts/bench (which builds first). BENCH_DIR picks the scratch directory (default under /var/tmp; ~4x the size free).
set -euo pipefail
cd "$(dirname "$0")/.."
exec node dist/scripts/bench-serve.js
