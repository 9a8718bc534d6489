#!/usr/bin/env bash
# pull and push of random-content packs (BENCH_SIZES_MIB, default "256 1024") through a loopback CNCF
# distribution registry, side by side with skopeo doing the same work, and curl GET / curl PUT of the blob as
# baselines; alternating (BENCH_RUNS rounds after a warm-up, default 6, every other round in reverse order; ratios
# are medians of per-round ratios). Run via scripts/bench (which builds first): scripts/bench registry. BENCH_DIR
# picks the scratch directory (default under /var/tmp; needs ~6x the size).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v curl >/dev/null 2>&1 || { echo "bench-registry: needs curl" >&2; exit 2; }
exec node dist/scripts/bench-registry.js
