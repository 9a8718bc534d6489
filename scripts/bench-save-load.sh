#!/usr/bin/env bash
# save/load of one random-content pack (BENCH_SIZE_MIB, default 1024) against skopeo's oci-archive, with
# sha256 and cp baselines, alternating A B A B (BENCH_RUNS after a warm-up, default 3). Run via scripts/bench
# (which builds first). BENCH_DIR picks the scratch directory (default under /var/tmp; needs ~5x the size free).
set -euo pipefail
cd "$(dirname "$0")/.."
exec node dist/scripts/bench-save-load.js
