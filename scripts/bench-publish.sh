#!/usr/bin/env bash
# publish: a site store of BENCH_PUBLISH_PACKS (default 500) small signed packs published into a fresh loopback
# distribution registry, beside skopeo copy of the same packs (BENCH_PARALLEL at once, default 4) in the same run;
# then a no-change republish, and a node's reconcile of the published catalog beside skopeo copy of the same packs
# into oci layouts. Prints wall/CPU/peak RSS (median of BENCH_RUNS, default 1) and the goals (publish <= 0.7x
# skopeo, republish <= 2 s, reconcile <= 2x skopeo). Run via scripts/bench (which builds first): scripts/bench
# publish. BENCH_DIR picks the scratch directory (default under /var/tmp); BENCH_BIN another bundle.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -n "${BENCH_BIN:-}" ] || [ -f dist/bin/scrydon.js ] || npm run --silent build
exec node dist/scripts/bench-publish.js
